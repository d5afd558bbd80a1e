/**
 * The deployed audit table as the admin tools read it (`npm run report`, `npm run policy -- replay`): from the
 * app's storage settings in the environment, or the running sandbox's with --sandbox.
 */
import type { TokenCredential } from '@azure/core-auth';
import { TableClient } from '@azure/data-tables';
import { ExitError } from './cli/cli';
import { settingsObject } from '../src/config/settings';
import { createTableClient } from '../src/storage/storage-clients';
import { readRunning, readSandboxSettings } from '../sandbox/state-file';

const STORAGE = settingsObject.pick({
  AzureWebJobsStorage: true,
  AzureWebJobsStorage__tableServiceUri: true,
  AzureWebJobsStorage__clientId: true,
  RELEASE_GATE_MANAGED_IDENTITY_CLIENT_ID: true,
  RELEASE_GATE_AUDIT_TABLE: true,
});

/**
 * The storage settings to read: the running sandbox's, or the environment's (a message naming them if absent,
 * exiting with `how.exitCode`; `how.sandboxExample` is the command line the message suggests).
 */
export function auditStorageSettings(
  options: { sandbox?: boolean; port?: number },
  env: NodeJS.ProcessEnv,
  how: { exitCode: number; sandboxExample: string },
) {
  let source: Record<string, string | undefined>;
  if (options.sandbox) {
    try {
      source = readSandboxSettings(readRunning(options.port, env));
    } catch (error) {
      throw new ExitError((error as Error).message, how.exitCode);
    }
  } else {
    source = env;
    if (!env.AzureWebJobsStorage && !env.AzureWebJobsStorage__tableServiceUri)
      throw new ExitError(
        'No storage to read the audit table from: set AzureWebJobsStorage (a connection string) or ' +
          "AzureWebJobsStorage__tableServiceUri (the storage account's table endpoint, read as you: az login, and a " +
          'role such as Storage Table Data Reader), and ' +
          'RELEASE_GATE_AUDIT_TABLE if the table is not releasegateaudit; or pass --sandbox to read the running ' +
          `sandbox's (${how.sandboxExample}).`,
        how.exitCode,
      );
  }
  const parsed = STORAGE.safeParse(Object.fromEntries(Object.entries(source).filter(([, v]) => v)));
  if (!parsed.success)
    throw new ExitError(
      `The storage settings are not usable: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      how.exitCode,
    );
  return parsed.data;
}

/**
 * The audit table. With a table endpoint (no connection string) the admin reads it as themselves (az login or
 * azd auth login; a data role such as Storage Table Data Reader), not as the Function App's managed identity,
 * which exists only in Azure.
 */
export function auditTable(config: ReturnType<typeof auditStorageSettings>): TableClient {
  if (!config.AzureWebJobsStorage__tableServiceUri) return createTableClient(config, config.RELEASE_GATE_AUDIT_TABLE);
  let credential: Promise<TokenCredential> | undefined;
  const admin: TokenCredential = {
    async getToken(scopes, options) {
      credential ??= import('@azure/identity').then(({ DefaultAzureCredential }) => new DefaultAzureCredential());
      return (await credential).getToken(scopes, options);
    },
  };
  return new TableClient(config.AzureWebJobsStorage__tableServiceUri, config.RELEASE_GATE_AUDIT_TABLE, admin);
}
