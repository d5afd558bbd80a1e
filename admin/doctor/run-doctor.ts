import type { TokenCredential } from '@azure/core-auth';
import type { SecretClientOptions } from '@azure/keyvault-secrets';
import type { PrintApi } from '../../src/graph/print-api';
import { activityChecks, fetchAppView, quotaChecks, subscriptionChecks, taskDefinitionChecks } from './app-checks';
import type { DoctorOptions } from './doctor-options';
import { keyVaultChecks, type ExpectedSecret } from './key-vault-checks';
import { permissionChecks } from './permission-checks';
import { pullQueueChecks, triggerChecks } from './printer-checks';
import { DoctorCannotRun, fail, type DoctorCheck } from './report';
import { triggerOwnership } from './trigger-ownership';
import { setupHint } from '../setup/printer-triggers';
import { errorText } from '../../src/observability/log';

export interface DoctorDependencies {
  /** Graph as the signed-in admin (device code, through Release Gate's app registration). */
  admin: PrintApi;
  /** The admin's Azure credential for Key Vault (DefaultAzureCredential: azd or az sign-in). */
  keyVaultCredential: TokenCredential;
  keyVaultClientOptions?: SecretClientOptions;
  fetch?: typeof fetch;
  now?: () => Date;
}

const IDENTITY_ERRORS =
  /^(AuthenticationError|CredentialUnavailableError|AggregateAuthenticationError|AuthenticationRequiredError)$/;

/**
 * @azure/identity's errors: the admin could not be signed in, so nothing Graph says can be checked. The
 * Graph SDK hands them on as a GraphError with no HTTP status (-1) and the identity error's name as code.
 */
function isSignInFailure(error: unknown): boolean {
  for (
    let e = error as { name?: string; code?: unknown; cause?: unknown } | undefined, depth = 0;
    e && depth < 4;
    depth++
  ) {
    if (IDENTITY_ERRORS.test(e.name ?? '') || (typeof e.code === 'string' && IDENTITY_ERRORS.test(e.code))) return true;
    e = e.cause as typeof e;
  }
  return false;
}

function expectedSecrets(options: DoctorOptions): ExpectedSecret[] {
  const vault = '--vault-name <vault>';
  const secrets: ExpectedSecret[] = [
    {
      name: options.secretNames.clientState,
      why: 'the subscription clientState that proves notifications genuine',
      restore:
        'azd provision (Bicep stores RELEASE_GATE_CLIENT_STATE in it); the subscription keeper then moves the subscription to it',
    },
    {
      name: options.secretNames.functionKey,
      why: 'the function key the subscription URLs carry (?code=), the host key graph-notifications',
      restore: `az keyvault secret set ${vault} --name ${options.secretNames.functionKey} --value "$(az functionapp keys list -g $AZURE_RESOURCE_GROUP -n $RELEASE_GATE_FUNCTION_APP_NAME --query 'functionKeys."graph-notifications"' -o tsv)" (or azd provision, which writes both)`,
      emptyWarning: 'the subscription URLs carry no key, and Azure refuses Graph without one (401)',
    },
  ];
  if (options.appCredential === 'secret')
    secrets.push({
      name: options.secretNames.appSecret,
      why: "the app registration's client secret (RELEASE_GATE_APP_CREDENTIAL=secret)",
      restore: `az keyvault secret set ${vault} --name ${options.secretNames.appSecret} --value <a new client secret from Entra admin center → App registrations → Release Gate → Certificates & secrets>`,
    });
  if (options.appCredential === 'certificate')
    secrets.push({
      name: options.secretNames.appCertificate,
      why: "the app registration's certificate and key, PEM (RELEASE_GATE_APP_CREDENTIAL=certificate)",
      restore: `az keyvault secret set ${vault} --name ${options.secretNames.appCertificate} --file <certificate and key>.pem`,
    });
  return secrets;
}

/**
 * Every check, in the order an admin fixes things: the app answers; its permissions; its secrets; the
 * task definition; triggers and pull queues; the subscription and its URLs; recent activity.
 * Throws {@link DoctorCannotRun} when the admin cannot be signed in.
 */
export async function runDoctor(options: DoctorOptions, deps: DoctorDependencies): Promise<DoctorCheck[]> {
  const now = deps.now ?? (() => new Date());
  const checks: DoctorCheck[] = [];
  const signedIn = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      if (isSignInFailure(error))
        throw new DoctorCannotRun(
          `Sign-in failed: ${errorText(error).split('\n')[0]}`,
          'sign in as a Printer Administrator with the device code shown; check --tenant and --client-id (RELEASE_GATE_TENANT_ID, RELEASE_GATE_APP_CLIENT_ID)',
        );
      throw error;
    }
  };

  const [app, permissions, secrets] = await Promise.all([
    fetchAppView(options.functionUrl, options.functionKey, deps.fetch),
    signedIn(() => permissionChecks(deps.admin, options.clientId, options.optIns)).catch((error: unknown) => {
      if (error instanceof DoctorCannotRun) throw error;
      return [
        fail(
          'Application permissions',
          `could not read them: ${setupHint(error).split('\n')[0]}`,
          'run the doctor again; if it repeats, check Graph service health in the Microsoft 365 admin center',
        ),
      ];
    }),
    keyVaultChecks({
      vaultUrl: options.keyVaultUri,
      secrets: expectedSecrets(options),
      credential: deps.keyVaultCredential,
      clientOptions: deps.keyVaultClientOptions,
    }),
  ]);
  checks.push(app.check, ...permissions, ...secrets);
  const view = app.view;
  if (view) checks.push(...taskDefinitionChecks(view, options.taskDefinitionId));

  const definitionId = view?.taskDefinitionId ?? options.taskDefinitionId;
  if (app.keyRefused) {
    // Whose trigger is whose is the app's trigger record, behind the same master key.
    checks.push(
      fail(
        'Task triggers',
        "not checked: the trigger record (GET /api/setup/triggers) needs the app's master key, which it refused",
        'pass the master key (the Function App line above says how)',
      ),
    );
  } else if (definitionId) {
    try {
      const states = await signedIn(() => triggerOwnership(deps.admin, options));
      checks.push(...triggerChecks(states, options.printers));
      checks.push(...(await pullQueueChecks(deps.admin, states, options.optIns)));
    } catch (error) {
      if (error instanceof DoctorCannotRun) throw error;
      checks.push(
        fail(
          'Task triggers',
          `could not list printers and triggers: ${setupHint(error).split('\n')[0]}`,
          'sign in as a Printer Administrator; consent the delegated Printer.ReadWrite.All (azd provision)',
        ),
      );
    }
  } else {
    checks.push(
      fail(
        'Task triggers',
        'not checked: no task definition id is known',
        'npm run setup, then azd env set RELEASE_GATE_TASK_DEFINITION_ID <id> && azd provision',
      ),
    );
  }

  if (view) {
    checks.push(...(await subscriptionChecks(view, now(), deps.fetch)));
    checks.push(...activityChecks(view, now()), ...quotaChecks(view));
  }
  return checks;
}
