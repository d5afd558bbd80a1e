import type { TableClient } from '@azure/data-tables';
import type { Settings } from '../config/settings';
import { managedIdentityCredential } from '../identity/managed-identity';

/**
 * Storage clients from the same settings the Functions host uses for `AzureWebJobsStorage`:
 * a connection string locally (Azurite), identity-based service URIs in Azure (no account keys).
 * The queue service client is in queue-service-client.ts; both SDKs load on first use.
 */
export { createQueueServiceClient } from './queue-service-client';

/**
 * The Tables SDK, loaded on first use rather than at import: the composition root's light part
 * (src/app/app.ts) imports this module, and the webhook's cold path must not pay for tables.
 */
const tablesSdk = (): typeof import('@azure/data-tables') =>
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a synchronous load on first use
  require('@azure/data-tables') as typeof import('@azure/data-tables');

/** A table client on the same storage account as the queues (audit records, held jobs). */
export function createTableClient(
  settings: Pick<
    Settings,
    | 'AzureWebJobsStorage'
    | 'AzureWebJobsStorage__tableServiceUri'
    | 'AzureWebJobsStorage__clientId'
    | 'RELEASE_GATE_MANAGED_IDENTITY_CLIENT_ID'
  >,
  tableName: string,
): TableClient {
  const { TableClient } = tablesSdk();
  if (settings.AzureWebJobsStorage__tableServiceUri) {
    const clientId = settings.AzureWebJobsStorage__clientId ?? settings.RELEASE_GATE_MANAGED_IDENTITY_CLIENT_ID;
    return new TableClient(
      settings.AzureWebJobsStorage__tableServiceUri,
      tableName,
      managedIdentityCredential(clientId),
    );
  }
  if (!settings.AzureWebJobsStorage) throw new Error('No storage connection is configured');
  // Azurite serves tables over plain http on loopback; the SDK needs to be told that is fine.
  return TableClient.fromConnectionString(settings.AzureWebJobsStorage, tableName, {
    allowInsecureConnection: /UseDevelopmentStorage=true|127\.0\.0\.1|localhost/i.test(settings.AzureWebJobsStorage),
  });
}
