import { TableClient } from '@azure/data-tables';
import { QueueServiceClient, type StoragePipelineOptions } from '@azure/storage-queue';
import type { Settings } from '../config/settings';
import { managedIdentityCredential } from '../identity/managed-identity';

/**
 * Storage clients from the same settings the Functions host uses for `AzureWebJobsStorage`:
 * a connection string locally (Azurite), identity-based service URIs in Azure (no account keys).
 */

/**
 * Storage calls sit on the webhook's 3-second answer path, so they fail fast and let Graph retry
 * rather than wait through the SDK's default back-off (four tries, seconds apart).
 */
const FAST_RETRY: StoragePipelineOptions['retryOptions'] = {
  maxTries: 2,
  tryTimeoutInMs: 1500,
  retryDelayInMs: 100,
  maxRetryDelayInMs: 200,
};

export function createQueueServiceClient(settings: Settings): QueueServiceClient {
  const options: StoragePipelineOptions = { retryOptions: FAST_RETRY };
  if (settings.AzureWebJobsStorage__queueServiceUri) {
    const clientId = settings.AzureWebJobsStorage__clientId ?? settings.RELEASE_GATE_MANAGED_IDENTITY_CLIENT_ID;
    return new QueueServiceClient(
      settings.AzureWebJobsStorage__queueServiceUri,
      managedIdentityCredential(clientId),
      options,
    );
  }
  if (!settings.AzureWebJobsStorage) throw new Error('No storage connection is configured');
  return QueueServiceClient.fromConnectionString(settings.AzureWebJobsStorage, options);
}

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
