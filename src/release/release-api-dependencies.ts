import { settings } from '../config/load-settings';
import { graphEndpoints } from '../graph/graph-endpoints';
import type { Log } from '../observability/log';
import { processorDependencies } from '../processor/processor-dependencies';
import type { ReleaseApiDependencies } from './release-api';
import { userTokenVerifier } from './user-token';

let verifier: ReturnType<typeof userTokenVerifier> | undefined;

/** The release API's dependencies: the processor's Graph client and stores, and the token verifier. */
export async function releaseApiDependencies(log: Log): Promise<ReleaseApiDependencies> {
  const config = settings();
  if (!verifier) {
    const audiences = config.RELEASE_GATE_USER_TOKEN_AUDIENCES?.split(',')
      .map((a) => a.trim())
      .filter(Boolean) ?? [config.RELEASE_GATE_APP_CLIENT_ID, `api://${config.RELEASE_GATE_APP_CLIENT_ID}`];
    verifier = userTokenVerifier({
      authorityHost: graphEndpoints(config).authorityHost,
      tenantId: config.RELEASE_GATE_TENANT_ID,
      audiences,
    });
  }
  const { api, holds, audit, tasks } = await processorDependencies(log);
  return { api, holds, audit, tasks, log, verifyUser: verifier };
}

/** Forget the verifier (tests reconfigure the process). */
export function resetReleaseApiDependencies(): void {
  verifier = undefined;
}
