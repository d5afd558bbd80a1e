/**
 * `npm run sandbox`: Release Gate end to end on this machine. Starts Azurite, the Universal Print
 * simulator and the local Functions host with the demo tenant and demo policy; prints what runs
 * where and how to print; stops cleanly on Ctrl-C.
 *
 *   npm run sandbox -- [--port 7071] [--simulator-port 8443] [--policy <module>]
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { resolveAppSettings } from './host/local-functions-host';
import { prettyLogSink } from './pretty-log';
import { startSandbox } from './sandbox';
import { clearRunning, writeRunning } from './state-file';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '7071' },
      'simulator-port': { type: 'string', default: '8443' },
      policy: { type: 'string', default: path.join(__dirname, 'demo', 'demo-policy.ts') },
    },
  });
  console.log('Starting Azurite, the Universal Print simulator and the Functions host…');
  const sandbox = await startSandbox({
    hostPort: Number(values.port),
    simulatorPort: Number(values['simulator-port']),
    settings: { RELEASE_GATE_POLICY_MODULE: path.resolve(values.policy) },
    log: prettyLogSink,
  });
  const { simulator, host, azurite } = sandbox;
  const policy = path.relative(process.cwd(), path.resolve(values.policy));
  const running = writeRunning(
    {
      simulatorUrl: simulator.url,
      hostUrl: host.url,
      hostPort: Number(new URL(host.url).port),
      pid: process.pid,
      startedAt: new Date().toISOString(),
      policy,
      masterKey: host.keys.master,
    },
    sandbox.settings,
  );
  const localSettings = running.settingsFile;

  const r = host.registrations;
  console.log(`
Release Gate sandbox is running.

  Functions host      ${host.url}
    HTTP              ${r.http.map((h) => `${h.methods.join(',')} /api/${h.route}`).join('   ')}
    queues            ${r.queues.map((q) => `${q.name} <- ${resolveAppSettings(q.queueName, host.settings)}`).join('   ')}
    timers            ${r.timers.map((t) => `${t.name} (${t.schedule})`).join('   ')}
    access keys       enforced as in Azure (random for this run): authLevel function takes a function, host
                      or master key as ?code= or x-functions-key; admin (and /admin/functions) the master key
                      master key ${host.keys.master}
                      host key graph-notifications ${sandbox.settings.RELEASE_GATE_FUNCTION_KEY} (Graph sends it)
    run a timer       curl -X POST ${host.url}/admin/functions/reconcile-tasks -H "x-functions-key: ${host.keys.master}"
  Universal Print     ${simulator.graphBaseUrl}   (Graph) and ${simulator.authorityHost}/${simulator.tenantId} (Entra ID)
    control API       ${simulator.url}/_control/   (see sandbox/simulator/README.md)
  Azurite             queues ${azurite.queueUrl}   tables ${azurite.tableUrl}
  Task definition     ${sandbox.taskDefinitionId} (triggers on every printer, subscription via the keeper)
  Policy              ${policy}

Printers: ${Object.values(simulator.demo!.printers)
    .map((p) => `"${p.displayName}"`)
    .join(', ')}
Users:    ${Object.values(simulator.demo!.users)
    .map((u) => u.userPrincipalName)
    .join(', ')}

Print a job (another terminal):
  npm run print -- --user adele@contoso.example --printer "HQ Floor 2 Mono" --color --name Report.pdf
  npm run print -- --user sam.student@contoso.example --printer "School Library" --copies 2

Pull printing: print to the pull queue, then release the job in a browser (sign in as the same user;
the simulator's HTTPS certificate comes from the sandbox's own CA, so accept the browser's warning):
  npm run print -- --user adele@contoso.example --printer "Follow-me Pull Queue" --name Slides.pdf
  ${host.url}/api/release?printer=${simulator.demo!.printers.library.id}   (the School Library's QR code)
  npm run qr-codes -- --sandbox --out .sandbox/qr-codes   (a QR code per printer)
See the decisions below as they happen. Ctrl-C stops everything.
The settings of this sandbox, for Core Tools: ${path.relative(process.cwd(), localSettings)}
`);

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    console.log('\nStopping…');
    clearRunning(running);
    await sandbox.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  if (error instanceof Error && /EADDRINUSE/.test(error.message))
    console.error('A port is in use: pass --port and --simulator-port.');
  process.exit(1);
});
