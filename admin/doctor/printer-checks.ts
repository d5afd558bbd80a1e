import type { PrintApi } from '../../src/graph/print-api';
import { PERMISSION_OPT_INS } from '../../src/graph/app-permissions';
import type { PrinterTriggerState } from '../setup/printer-triggers';
import { attributeDifferences } from '../../src/setup/pull-queue-attributes';
import { fail, ok, warn, type DoctorCheck } from './report';

const wildcard = (pattern: string) =>
  new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`, 'i');

const names = (states: PrinterTriggerState[]) => states.map((s) => `"${s.displayName}"`).join(', ');

/**
 * Release Gate's trigger is on the intended printers (`--printers`, as given to set-up), and where
 * other apps' triggers sit (a printer holds one trigger: theirs blocks ours).
 */
export function triggerChecks(states: PrinterTriggerState[], intended?: string[]): DoctorCheck[] {
  const ours = states.filter((s) => s.trigger === 'ours');
  const others = states.filter((s) => s.trigger === 'other');
  const checks: DoctorCheck[] = [];
  if (!intended) {
    checks.push(
      ours.length === 0
        ? warn(
            'Task triggers',
            "no printer has Release Gate's trigger: every job prints unchecked",
            'npm run setup -- --printers "<names>" (or all)',
          )
        : ok('Task triggers', `ours on ${ours.length} printer(s): ${names(ours)}`),
    );
  } else {
    const patterns = intended.map(wildcard);
    const chosen = states.filter((s) => patterns.some((p) => p.test(s.displayName)));
    const unmatched = intended.filter((name) => !states.some((s) => wildcard(name).test(s.displayName)));
    const missing = chosen.filter((s) => s.trigger === 'none');
    const blocked = chosen.filter((s) => s.trigger === 'other');
    if (missing.length + blocked.length + unmatched.length === 0) {
      checks.push(ok('Task triggers', `ours on all ${chosen.length} intended printer(s): ${names(chosen)}`));
    } else {
      const problems = [
        missing.length ? `no trigger on ${names(missing)}` : '',
        blocked.length ? `another app's trigger on ${names(blocked)}` : '',
        unmatched.length ? `no printer matches ${unmatched.map((n) => `"${n}"`).join(', ')}` : '',
      ].filter(Boolean);
      const fixes = [
        missing.length ? `npm run setup -- --printers "${missing.map((s) => s.displayName).join(',')}"` : '',
        blocked.length ? "remove the other app's trigger with that app (or its vendor), then run set-up again" : '',
        unmatched.length ? 'check the names (Universal Print portal → Printers), or register the printer' : '',
      ].filter(Boolean);
      checks.push(
        fail(
          'Task triggers',
          `ours on ${chosen.length - missing.length - blocked.length} of ${chosen.length}; ${problems.join('; ')}`,
          fixes.join('; '),
        ),
      );
    }
  }
  checks.push(
    ok(
      "Other apps' triggers",
      others.length === 0 ? 'none' : `on ${names(others)} (left alone; jobs there are not Release Gate's)`,
    ),
  );
  return checks;
}

/**
 * Pull queues (virtual printers with our trigger): shared, so users see them, and their printer attributes as
 * set-up writes them. Not accepting jobs is a failure (users' jobs are refused); other differences a warning.
 */
export async function pullQueueChecks(
  admin: PrintApi,
  states: PrinterTriggerState[],
  optIns: readonly string[] = [],
): Promise<DoctorCheck[]> {
  const ours = new Set(states.filter((s) => s.trigger === 'ours').map((s) => s.printerId));
  const queues = (await admin.listPrinters()).filter((p) => ours.has(p.id) && p.hasPhysicalDevice === false);
  const checks: DoctorCheck[] = [];
  // Writing the attributes is the app's application permission Printer.ReadWrite.All, an opt-in.
  const optIn = optIns.includes('allowPullQueueSetup')
    ? ''
    : `azd env set ${PERMISSION_OPT_INS.allowPullQueueSetup} true && azd provision, then `;
  for (const listed of queues) {
    const printer = await admin.getPrinter(listed.id);
    const name = `Pull queue "${printer.displayName ?? printer.id}"`;
    const fix = `npm run setup -- --adopt ${printer.id}`;
    const differences = attributeDifferences(printer);
    if (!printer.isShared) checks.push(fail(name, 'not shared: users cannot print to it', `${fix} (shares it)`));
    else if (printer.isAcceptingJobs !== true)
      checks.push(
        fail(
          name,
          `shared, but not accepting jobs: its printer attributes are not set (${differences.join('; ')})`,
          `${optIn}${fix} (sets them)`,
        ),
      );
    else if (differences.length > 0)
      checks.push(
        warn(
          name,
          `shared, but its printer attributes differ from set-up's (${differences.join('; ')}): Windows clients may refuse it`,
          `${optIn}${fix} (sets them)`,
        ),
      );
    else checks.push(ok(name, 'shared, accepting jobs, printer attributes as set-up writes them'));
  }
  return checks;
}
