// Storage, Key Vault, monitoring and the Flex Consumption Function App, wired to one
// user-assigned identity with the narrowest roles. No account keys, no secrets in app settings.
param location string
param tags object
param resourceToken string
param identityId string
param identityClientId string
param identityPrincipalId string
param printTenantId string
param taskDefinitionId string
@secure()
param graphClientState string
@secure()
@description('Value of the host key Graph sends (?code=) on both subscription URLs.')
param notificationFunctionKey string
param appClientId string
param alwaysReadyInstances int
param maximumInstanceCount int
param failSafeAction string
param alertEmail string
param principalId string
@allowed(['global', 'usgov', 'usgovdod'])
param graphCloud string
@description('The Function App name (main.bicep decides it: the app registration needs its address first).')
param functionAppName string
@description('Close Key Vault and storage to the internet: only the Function App (VNet integration, service endpoints) and allowedIpAddresses reach them.')
param restrictNetworkAccess bool
@description('Public IP addresses or CIDR ranges that may still reach Key Vault and storage when restricted (the admin running set-up and the doctor).')
param allowedIpAddresses array
@description('Page counting on: the app downloads job documents to count pages (the app registration holds PrintJob.Read.All).')
param pageCounting bool
@description('Delegates on: users may name delegates and hand a held job to a colleague (the app registration holds User.ReadBasic.All).')
param delegation bool
@description('Messages to users on: every kind, from messageSender (Mail.Send is granted in Exchange Online, not here).')
param messages bool
@description('The mailbox messages are sent from.')
param messageSender string

var taskQueueName = 'print-tasks'
var auditTableName = 'releasegateaudit'
var holdTableName = 'releasegateholds'
var taskIndexTableName = 'releasegatetasks'
var pinTableName = 'releasegatepins'
var quotaTableName = 'releasegatequotas'
// The task triggers set-up created (src/setup/trigger-record.ts): how set-up, teardown and the doctor know ours.
var triggerRecordTableName = 'releasegatetriggers'
var controlQueueName = 'release-gate-control'
// User messages (src/messages): always declared, since the send-message function's trigger names the
// queue; nothing is queued unless RELEASE_GATE_MESSAGES names kinds.
var messageQueueName = 'releasegate-messages'
var messageTableName = 'releasegatemessages'
var clientStateSecretName = 'graph-client-state'
// The host key Graph sends on both subscription URLs, and the secret the app reads it from.
var graphHostKeyName = 'graph-notifications'
var functionKeySecretName = 'notification-function-key'
var deploymentContainerName = 'app-package-${take(resourceToken, 20)}'

// Built-in role definition ids (Azure RBAC).
var roles = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'
  keyVaultSecretsOfficer: 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
}

// ---------- Network: the Function App's outbound path to storage and Key Vault ----------

// With restrictNetworkAccess, the Function App reaches storage and Key Vault from its own subnet
// (Flex Consumption VNet integration) through service endpoints; both refuse every other network
// but the listed addresses. Azure's trusted services keep their bypass (e.g. ARM setting secrets).
var vnetName = 'vnet-release-gate-${resourceToken}'
var appSubnetName = 'function-app'
resource vnet 'Microsoft.Network/virtualNetworks@2024-05-01' = if (restrictNetworkAccess) {
  name: vnetName
  location: location
  tags: tags
  properties: {
    addressSpace: { addressPrefixes: ['10.80.0.0/16'] }
    subnets: [
      {
        name: appSubnetName
        properties: {
          addressPrefix: '10.80.0.0/24'
          // Flex Consumption integrates with a subnet delegated to Microsoft.App/environments.
          delegations: [{ name: 'flex-consumption', properties: { serviceName: 'Microsoft.App/environments' } }]
          serviceEndpoints: [{ service: 'Microsoft.Storage' }, { service: 'Microsoft.KeyVault' }]
        }
      }
    ]
  }
}

var appSubnetId = resourceId('Microsoft.Network/virtualNetworks/subnets', vnetName, appSubnetName)
var storageIpRules = [for address in allowedIpAddresses: { value: address, action: 'Allow' }]
var vaultIpRules = [for address in allowedIpAddresses: { value: address }]

// ---------- Storage: the host's own storage, the task queue, audit and hold tables ----------

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: 'strg${resourceToken}'
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: { name: 'Standard_LRS' }
  properties: {
    allowSharedKeyAccess: false // identity only: no account keys anywhere
    allowBlobPublicAccess: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    defaultToOAuthAuthentication: true
    networkAcls: restrictNetworkAccess
      ? {
          defaultAction: 'Deny'
          bypass: 'AzureServices'
          virtualNetworkRules: [{ id: appSubnetId, action: 'Allow' }]
          ipRules: storageIpRules
        }
      : { defaultAction: 'Allow', bypass: 'AzureServices' }
  }
  dependsOn: [vnet] // the subnet's service endpoint before the rule that names it

  resource blobService 'blobServices' = {
    name: 'default'
    resource deploymentContainer 'containers' = {
      name: deploymentContainerName
    }
  }

  resource queueService 'queueServices' = {
    name: 'default'
    resource taskQueue 'queues' = {
      name: taskQueueName
    }
    resource poisonQueue 'queues' = {
      name: '${taskQueueName}-poison'
    }
    resource controlQueue 'queues' = {
      name: controlQueueName
    }
    resource messageQueue 'queues' = {
      name: messageQueueName
    }
    resource messagePoisonQueue 'queues' = {
      name: '${messageQueueName}-poison'
    }
  }

  resource tableService 'tableServices' = {
    name: 'default'
    resource auditTable 'tables' = {
      name: auditTableName
    }
    resource holdTable 'tables' = {
      name: holdTableName
    }
    resource taskIndexTable 'tables' = {
      name: taskIndexTableName
    }
    resource pinTable 'tables' = {
      name: pinTableName
    }
    resource quotaTable 'tables' = {
      name: quotaTableName
    }
    resource triggerRecordTable 'tables' = {
      name: triggerRecordTableName
    }
    resource messageTable 'tables' = {
      name: messageTableName
    }
  }
}

// The host needs blob (deployment package, timer leases) on the account; our code and the queue
// trigger need queues; the audit and hold stores need tables. Each role scoped to the account.
resource storageBlobRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, identityPrincipalId, roles.storageBlobDataOwner)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataOwner)
    principalId: identityPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource storageQueueRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, identityPrincipalId, roles.storageQueueDataContributor)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageQueueDataContributor)
    principalId: identityPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource storageTableRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, identityPrincipalId, roles.storageTableDataContributor)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageTableDataContributor)
    principalId: identityPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// ---------- Key Vault: the clientState, the function key (and, if chosen, an app secret or certificate) ----------

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: 'kv-rg-${take(resourceToken, 18)}'
  location: location
  tags: tags
  properties: {
    tenantId: tenant().tenantId
    sku: { family: 'A', name: 'standard' }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    enablePurgeProtection: true
    publicNetworkAccess: 'Enabled' // 'Disabled' would also refuse the service endpoint; the rules below restrict it
    networkAcls: restrictNetworkAccess
      ? {
          defaultAction: 'Deny'
          bypass: 'AzureServices'
          virtualNetworkRules: [{ id: appSubnetId, ignoreMissingVnetServiceEndpoint: false }]
          ipRules: vaultIpRules
        }
      : { defaultAction: 'Allow', bypass: 'AzureServices' }
  }
  dependsOn: [vnet]

  resource clientState 'secrets' = {
    name: clientStateSecretName
    properties: {
      value: graphClientState
      contentType: 'Graph subscription clientState'
    }
  }

  // The same value as the host key below: the subscription keeper puts it on both URLs (?code=).
  resource functionKey 'secrets' = {
    name: functionKeySecretName
    properties: {
      value: notificationFunctionKey
      contentType: 'Function App host key ${graphHostKeyName} (Graph sends it as ?code=)'
    }
  }
}

// Read-only on secrets, scoped to the vault.
resource vaultSecretsUserRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, identityPrincipalId, roles.keyVaultSecretsUser)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsUser)
    principalId: identityPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// The deploying admin may rotate secrets (new versions); nobody else.
resource vaultSecretsOfficerRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(principalId)) {
  name: guid(vault.id, principalId, roles.keyVaultSecretsOfficer)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsOfficer)
    principalId: principalId
    principalType: 'User'
  }
}

// ---------- Monitoring ----------

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: 'log-release-gate-${resourceToken}'
  location: location
  tags: tags
  properties: {
    sku: { name: 'PerGB2018' }
    retentionInDays: 30
  }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: 'appi-release-gate-${resourceToken}'
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspace.id
    DisableLocalAuth: true // telemetry is sent with the managed identity only
  }
}

resource metricsPublisherRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(appInsights.id, identityPrincipalId, roles.monitoringMetricsPublisher)
  scope: appInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher)
    principalId: identityPrincipalId
    principalType: 'ServicePrincipal'
  }
}

module alerts 'alerts.bicep' = {
  name: 'alerts'
  params: {
    location: location
    tags: tags
    appInsightsId: appInsights.id
    alertEmail: alertEmail
  }
}

module workbook 'workbook.bicep' = {
  name: 'workbook'
  params: {
    location: location
    tags: tags
    appInsightsId: appInsights.id
    resourceToken: resourceToken
  }
}

// ---------- The Function App (Flex Consumption, Linux, Node 22) ----------

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: 'plan-release-gate-${resourceToken}'
  location: location
  tags: tags
  kind: 'functionapp'
  sku: { tier: 'FlexConsumption', name: 'FC1' }
  properties: { reserved: true }
}

resource functionApp 'Microsoft.Web/sites@2024-04-01' = {
  name: functionAppName
  location: location
  tags: union(tags, { 'azd-service-name': 'api' })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identityId}': {} }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    keyVaultReferenceIdentity: identityId
    // Outbound through the VNet when restricted: storage and Key Vault admit only that subnet.
    virtualNetworkSubnetId: restrictNetworkAccess ? appSubnetId : null
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: { type: 'UserAssignedIdentity', userAssignedIdentityResourceId: identityId }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: 2048
        // Graph gives up after 3 s: an always-ready HTTP instance keeps cold starts off the webhook.
        alwaysReady: alwaysReadyInstances > 0 ? [{ name: 'http', instanceCount: alwaysReadyInstances }] : []
      }
      runtime: { name: 'node', version: '22' }
    }
  }
  dependsOn: [storageBlobRole, storageQueueRole, storageTableRole, vaultSecretsUserRole, metricsPublisherRole, vnet]
}

// No FTP or SCM basic-auth publishing credentials: deployments authenticate with Entra ID only.
resource ftpPublishing 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: functionApp
  name: 'ftp'
  properties: { allow: false }
}

resource scmPublishing 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: functionApp
  name: 'scm'
  properties: { allow: false }
}

// App settings: every name here is declared in src/config/settings.ts (a test checks both ways).
// No secret is among them: the code reads secrets from Key Vault with the managed identity.
resource appSettings 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: functionApp
  name: 'appsettings'
  properties: {
    AzureWebJobsStorage__credential: 'managedidentity'
    AzureWebJobsStorage__clientId: identityClientId
    AzureWebJobsStorage__blobServiceUri: storage.properties.primaryEndpoints.blob
    AzureWebJobsStorage__queueServiceUri: storage.properties.primaryEndpoints.queue
    AzureWebJobsStorage__tableServiceUri: storage.properties.primaryEndpoints.table
    APPLICATIONINSIGHTS_CONNECTION_STRING: appInsights.properties.ConnectionString
    APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
    RELEASE_GATE_TENANT_ID: printTenantId
    RELEASE_GATE_TASK_DEFINITION_ID: taskDefinitionId
    RELEASE_GATE_TASK_QUEUE: taskQueueName
    RELEASE_GATE_AUDIT_TABLE: auditTableName
    RELEASE_GATE_HOLD_TABLE: holdTableName
    RELEASE_GATE_TASK_INDEX_TABLE: taskIndexTableName
    RELEASE_GATE_PIN_TABLE: pinTableName
    RELEASE_GATE_QUOTA_TABLE: quotaTableName
    RELEASE_GATE_CONTROL_QUEUE: controlQueueName
    RELEASE_GATE_MESSAGE_QUEUE: messageQueueName
    RELEASE_GATE_MESSAGE_TABLE: messageTableName
    RELEASE_GATE_NOTIFICATION_URL: 'https://${functionApp.properties.defaultHostName}/api/notifications'
    RELEASE_GATE_LIFECYCLE_URL: 'https://${functionApp.properties.defaultHostName}/api/lifecycle'
    RELEASE_GATE_FAIL_SAFE_ACTION: failSafeAction
    RELEASE_GATE_SECRET_SOURCE: 'keyvault'
    RELEASE_GATE_KEY_VAULT_URI: vault.properties.vaultUri
    RELEASE_GATE_CLIENT_STATE_SECRET_NAME: clientStateSecretName
    RELEASE_GATE_FUNCTION_KEY_SECRET_NAME: functionKeySecretName
    RELEASE_GATE_MANAGED_IDENTITY_CLIENT_ID: identityClientId
    RELEASE_GATE_APP_CLIENT_ID: appClientId
    RELEASE_GATE_APP_CREDENTIAL: 'managed-identity'
    RELEASE_GATE_CLOUD: graphCloud
    RELEASE_GATE_PAGE_COUNTING: pageCounting ? 'on' : 'off'
    RELEASE_GATE_DELEGATION: delegation ? 'on' : 'off'
    RELEASE_GATE_MESSAGES: messages ? 'denied,held,expired,deleted,expiry-warning,quota' : ''
    RELEASE_GATE_MESSAGE_SENDER: messageSender
    // The host refuses larger request bodies before any function runs (the webhook's own cap: 1 MiB).
    FUNCTIONS_REQUEST_BODY_SIZE_LIMIT: '1048576'
  }
}

// The notifications and lifecycle functions are authLevel function: Graph must send a key. A named
// host key (not _master, not default) that only Graph uses; its value is the Key Vault secret's.
resource graphHostKey 'Microsoft.Web/sites/host/functionKeys@2024-04-01' = {
  name: '${functionApp.name}/default/${graphHostKeyName}'
  properties: {
    name: graphHostKeyName
    value: notificationFunctionKey
  }
  dependsOn: [appSettings]
}

output functionAppName string = functionApp.name
output notificationUrl string = 'https://${functionApp.properties.defaultHostName}/api/notifications'
output keyVaultUri string = vault.properties.vaultUri
output keyVaultName string = vault.name
output applicationInsightsConnectionString string = appInsights.properties.ConnectionString
