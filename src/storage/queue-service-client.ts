import type { QueueServiceClient, StoragePipelineOptions } from '@azure/storage-queue';
import type { Settings } from '../config/settings';
import { managedIdentityCredential } from '../identity/managed-identity';

/**
 * The queue service from the same settings the Functions host uses for `AzureWebJobsStorage`: a
 * connection string locally (Azurite), an identity-based service URI in Azure (no account keys).
 * It loads on first use (require below), not when the worker starts.
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
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use, off the webhook's cold path
  const { QueueServiceClient } = require('@azure/storage-queue') as typeof import('@azure/storage-queue');
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
