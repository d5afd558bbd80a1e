/**
 * Where an admin command (`npm run report`, `npm run quota`) finds the app's tables: the running sandbox's
 * storage with --sandbox, else the deployed app's settings from the environment (AzureWebJobsStorage, or
 * AzureWebJobsStorage__tableServiceUri read as the signed-in admin). One place, so the commands agree.
 */
import type { TokenCredential } from '@azure/core-auth';
import { TableClient } from '@azure/data-tables';
import { ExitError } from './cli/cli';
import { settingsObject } from '../src/config/settings';
import { createTableClient } from '../src/storage/storage-clients';
import { readRunning, readSandboxSettings } from '../sandbox/state-file';

/** Exit code when there is nothing to read: no storage configured, or no sandbox running. */
export const EXIT_NOT_CONFIGURED = 3;

const STORAGE = settingsObject.pick({
  AzureWebJobsStorage: true,
  AzureWebJobsStorage__tableServiceUri: true,
  AzureWebJobsStorage__clientId: true,
  RELEASE_GATE_MANAGED_IDENTITY_CLIENT_ID: true,
  RELEASE_GATE_AUDIT_TABLE: true,
  RELEASE_GATE_QUOTA_TABLE: true,
});
export type AdminStorageSettings = ReturnType<typeof STORAGE.parse>;

/** What the message says when no storage is configured. */
export interface StorageUse {
  /** e.g. "the audit table" */
  what: string;
  /** The data role the admin needs, e.g. "Storage Table Data Reader". */
  role: string;
  setting: 'RELEASE_GATE_AUDIT_TABLE' | 'RELEASE_GATE_QUOTA_TABLE';
  /** The command, e.g. "report". */
  script: string;
  /** Exit code when nothing is configured (default EXIT_NOT_CONFIGURED; replay's 3 means "changes"). */
  exitCode?: number;
}

/** The storage settings to use: the running sandbox's, or the environment's (a message naming them if absent). */
export function adminStorageSettings(
  options: { sandbox?: boolean; port?: number },
  env: NodeJS.ProcessEnv,
  use: StorageUse,
): AdminStorageSettings {
  let source: Record<string, string | undefined>;
  if (options.sandbox) {
    try {
      source = readSandboxSettings(readRunning(options.port, env));
    } catch (error) {
      throw new ExitError((error as Error).message, use.exitCode ?? EXIT_NOT_CONFIGURED);
    }
  } else {
    source = env;
    if (!env.AzureWebJobsStorage && !env.AzureWebJobsStorage__tableServiceUri)
      throw new ExitError(
        `No storage to read ${use.what} from: set AzureWebJobsStorage (a connection string) or ` +
          "AzureWebJobsStorage__tableServiceUri (the storage account's table endpoint, used as you: az login, and a " +
          `role such as ${use.role}), and ${use.setting} if the table is not ` +
          `${STORAGE.shape[use.setting].parse(undefined)}; or pass --sandbox to use the running ` +
          `sandbox's (npm run ${use.script}${use.script.includes(' -- ') ? '' : ' --'} --sandbox).`,
        use.exitCode ?? EXIT_NOT_CONFIGURED,
      );
  }
  const parsed = STORAGE.safeParse(Object.fromEntries(Object.entries(source).filter(([, v]) => v)));
  if (!parsed.success)
    throw new ExitError(
      `The storage settings are not usable: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      use.exitCode ?? EXIT_NOT_CONFIGURED,
    );
  return parsed.data;
}

/**
 * A table of the app. With a table endpoint (no connection string) the admin uses it as themselves (az login
 * or azd auth login; a data role on the account), not as the Function App's managed identity, which exists
 * only in Azure.
 */
export function adminTable(config: AdminStorageSettings, tableName: string): TableClient {
  if (!config.AzureWebJobsStorage__tableServiceUri) return createTableClient(config, tableName);
  let credential: Promise<TokenCredential> | undefined;
  const admin: TokenCredential = {
    async getToken(scopes, options) {
      credential ??= import('@azure/identity').then(({ DefaultAzureCredential }) => new DefaultAzureCredential());
      return (await credential).getToken(scopes, options);
    },
  };
  return new TableClient(config.AzureWebJobsStorage__tableServiceUri, tableName, admin);
}
