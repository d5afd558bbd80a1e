import path from 'node:path';
import type { Settings } from '../config/settings';
import { releaseEverything, type Decision, type PolicyContext, type ReleasePolicy } from './decision';

const APP_ROOT = path.resolve(__dirname, '..', '..', '..').endsWith('dist')
  ? path.resolve(__dirname, '..', '..', '..', '..')
  : path.resolve(__dirname, '..', '..');

function isPolicy(value: unknown): value is ReleasePolicy {
  return !!value && typeof value === 'object' && typeof (value as ReleasePolicy).decide === 'function';
}

/** Loads a policy module once: its `policy` export, or its default export. */
export function loadPolicyModule(modulePath: string, root: string = APP_ROOT): ReleasePolicy {
  const resolved = path.isAbsolute(modulePath) ? modulePath : path.resolve(root, modulePath);
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a plug-in is chosen by a setting, at run time
  const loaded = require(resolved) as { policy?: unknown; default?: unknown };
  const policy = loaded.policy ?? loaded.default;
  if (!isPolicy(policy)) throw new Error(`${modulePath} exports no policy (an object with decide(context))`);
  return {
    name: typeof policy.name === 'string' ? policy.name : path.basename(modulePath),
    decide: policy.decide.bind(policy),
  };
}

/**
 * A policy that answers within `timeoutMs` or fails: the processor turns a failure into the
 * fail-safe decision, so a slow or broken policy never strands a job or blocks an instance.
 */
export function withTimeLimit(policy: ReleasePolicy, timeoutMs: number): ReleasePolicy {
  return {
    name: policy.name,
    decide(context: PolicyContext): Promise<Decision> {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`Policy ${policy.name} did not decide within ${timeoutMs} ms`)),
          timeoutMs,
        );
      });
      return Promise.race([Promise.resolve().then(() => policy.decide(context)), timeout]).finally(() =>
        clearTimeout(timer),
      );
    },
  };
}

/** The release policy the settings ask for. */
export function policyFromSettings(
  settings: Pick<Settings, 'RELEASE_GATE_POLICY_MODULE' | 'RELEASE_GATE_POLICY_TIMEOUT_MS'>,
): ReleasePolicy {
  const policy = settings.RELEASE_GATE_POLICY_MODULE
    ? loadPolicyModule(settings.RELEASE_GATE_POLICY_MODULE)
    : releaseEverything;
  return withTimeLimit(policy, settings.RELEASE_GATE_POLICY_TIMEOUT_MS);
}
