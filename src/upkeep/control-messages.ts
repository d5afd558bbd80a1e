import type { Log } from '../observability/log';
import type { ControlMessage } from '../queue/control-message';
import { keepSubscription, reconcile, type UpkeepDependencies } from './upkeep-jobs';

/** Work the lifecycle URL queued: renew or recreate the subscription, reconcile now. */
export async function handleControlMessage(message: ControlMessage, deps: UpkeepDependencies, log: Log): Promise<void> {
  const taskLog = log.with({ correlationId: message.correlationId });
  switch (message.kind) {
    case 'renew-subscription':
      await keepSubscription(deps, taskLog, { forceRenew: true });
      return;
    case 'recreate-subscription':
      await keepSubscription(deps, taskLog);
      await reconcile(deps, taskLog); // notifications may have been lost while it was gone
      return;
    case 'reconcile':
      await reconcile(deps, taskLog);
      return;
  }
}
