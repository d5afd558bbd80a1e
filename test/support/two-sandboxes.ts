/**
 * Run by test/e2e/two-sandboxes.test.ts as a plain Node process (not under jest, whose module registry
 * would give each sandbox fresh modules and hide shared state): a sandbox, stopped, then a second with
 * other settings, then a third beside the second. Prints the jobs' end states as JSON.
 */
import { startSandbox, type Sandbox } from '../../sandbox/sandbox';
import { waitFor } from './wait';

const denyAll = JSON.stringify({ name: 'deny all', rules: [], default: { deny: { reason: 'Not here.' } } });
const quiet = { hostPort: 0, log: () => undefined };

async function printOneJob(sandbox: Sandbox): Promise<string> {
  const { tenant, demo } = sandbox.simulator;
  const { job } = tenant.submitJob({
    printerId: demo!.printers.library.id,
    userPrincipalName: 'adele@contoso.example',
  });
  return waitFor('the job to end', () => ['completed', 'aborted'].includes(job.status.state) && job.status.state);
}

async function main(): Promise<void> {
  const first = await startSandbox({ ...quiet, settings: { RELEASE_GATE_POLICY_JSON: denyAll } });
  await first.stop();
  // The second sandbox, with other settings, works with its own: its job is released, not denied.
  const second = await startSandbox(quiet);
  try {
    const afterRestart = await printOneJob(second);
    // A third beside it, denying: each decides with its own settings.
    const third = await startSandbox({ ...quiet, settings: { RELEASE_GATE_POLICY_JSON: denyAll } });
    try {
      const [released, denied] = await Promise.all([printOneJob(second), printOneJob(third)]);
      console.log(JSON.stringify({ afterRestart, atOnce: { released, denied } }));
    } finally {
      await third.stop();
    }
  } finally {
    await second.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
