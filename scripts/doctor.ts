/**
 * `npm run doctor -- [options]`: checks a deployed Release Gate against its tenant, line by line (✔ ⚠ ✘),
 * each problem with its fix. Run after `azd up` and `npm run setup`, with the same values:
 *
 *   --tenant <id>              RELEASE_GATE_TENANT_ID
 *   --client-id <id>           RELEASE_GATE_APP_CLIENT_ID
 *   --function-url <url>       RELEASE_GATE_FUNCTION_APP_URL    (https://<app>.azurewebsites.net)
 *   --function-key=<key>       RELEASE_GATE_FUNCTION_ADMIN_KEY  (the app's master key: /api/setup/* is authLevel admin)
 *   --key-vault-uri <url>      RELEASE_GATE_KEY_VAULT_URI
 *   --task-definition-id <id>  RELEASE_GATE_TASK_DEFINITION_ID  (compared with the app's own)
 *   --printers all|<name,…>    printers that should carry the trigger (* wildcards); default: report where it is
 *   --allow-group-rules, --allow-badge-release, --allow-pull-queue-setup   RELEASE_GATE_ALLOW_GROUP_RULES /
 *                              _BADGE_RELEASE / _PULL_QUEUE_SETUP (the opt-ins, as in src/graph/app-permissions.ts)
 *   --app-credential managed-identity|certificate|secret   RELEASE_GATE_APP_CREDENTIAL (default managed-identity)
 *   --json                     print {"exitCode", "checks": [{status, name, detail, fix}]} instead of lines
 *   --cloud, --authority-host, --graph-base-url   as for npm run setup
 *
 * Exit codes: 0 all good, 1 warnings only, 2 a check failed (a refused master key is the failed Function App
 * line), 3 could not run (configuration, sign-in).
 */
import type { TokenCredential } from '@azure/core-auth';
import { parseDoctorArgs } from '../admin/doctor/doctor-options';
import { DoctorCannotRun, EXIT_CODES, exitCodeOf, formatReport, jsonReport } from '../admin/doctor/report';
import { runDoctor } from '../admin/doctor/run-doctor';
import { adminPrintApi } from '../admin/setup/admin-sign-in';

/** The admin's Azure sign-in (azd auth login, az login, …), loaded only when Key Vault is asked. */
function azureCredential(): TokenCredential {
  let credential: Promise<TokenCredential> | undefined;
  return {
    async getToken(scopes, options) {
      credential ??= import('@azure/identity').then(({ DefaultAzureCredential }) => new DefaultAzureCredential());
      return (await credential).getToken(scopes, options);
    },
  };
}

/** A vault on loopback is the sandbox's Key Vault stand-in, which cannot be named *.vault.azure.net. */
const isLoopback = (url: string | undefined) =>
  !!url && /^https:\/\/(127\.0\.0\.1|localhost)(:\d+)?\//i.test(`${url}/`);

export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let json = argv.includes('--json');
  try {
    const options = parseDoctorArgs(argv, env);
    json = options.json;
    // The device code prompt goes to stderr, so --json output stays parseable.
    // Signed in through the admin-tools app registration (delegated permissions only).
    const admin = adminPrintApi({ ...options, clientId: options.adminClientId }, (message) => console.error(message));
    const checks = await runDoctor(options, {
      admin,
      keyVaultCredential: azureCredential(),
      keyVaultClientOptions: isLoopback(options.keyVaultUri)
        ? { disableChallengeResourceVerification: true }
        : undefined,
    });
    const code = exitCodeOf(checks);
    console.log(json ? jsonReport(checks, code) : formatReport(checks).join('\n'));
    return code;
  } catch (error) {
    const cannotRun = error instanceof DoctorCannotRun;
    const message = error instanceof Error ? error.message : String(error);
    const fix = cannotRun ? error.fix : 'run the doctor again; if it repeats, report this message';
    if (json)
      console.log(
        JSON.stringify(
          { exitCode: EXIT_CODES.cannotRun, checks: [{ status: 'fail', name: 'Doctor', detail: message, fix }] },
          null,
          2,
        ),
      );
    else console.error(`✘ Could not run the checks: ${message}\n  fix: ${fix}`);
    return EXIT_CODES.cannotRun;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
