// Release Gate: everything a tenant needs in one deployment (`azd up`).
// Plain Azure resources and the Microsoft Graph Bicep extension; no registry modules.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('azd environment name; names and tags every resource.')
param environmentName string

@minLength(1)
@description('Azure region for every resource. Must offer the Flex Consumption plan.')
param location string

@description('Directory (tenant) id of the Universal Print tenant. Empty: the deployment tenant.')
param printTenantId string = ''

@description('Id of the print task definition, printed by `npm run setup`. Empty on the first deployment; set it and deploy again.')
param taskDefinitionId string = ''

@secure()
@description('The Graph subscription clientState (at most 128 characters), stored only in Key Vault.')
param graphClientState string

@secure()
@minLength(15)
@description('The host key graph-notifications Graph sends (?code=), also stored as Key Vault secret notification-function-key. azd generates it on the first provision and reads it back from the vault after (main.parameters.json).')
param notificationFunctionKey string

@description('Always-ready instances for the HTTP functions, so the webhook answers Graph within 3 s from idle. 0 saves cost.')
@minValue(0)
@maxValue(10)
param alwaysReadyInstances int = 1

@description('Largest number of instances the app may scale to.')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 100

@allowed(['release', 'deny'])
@description('What happens to a job Release Gate cannot decide on.')
param failSafeAction string = 'release'

@description('Create the Entra ID app registration, its federated credential and Graph permissions with the Microsoft Graph Bicep extension. Needs a deployer who may grant application permissions.')
param createAppRegistration bool = true

@description('Grant GroupMember.Read.All so policy rules may use group membership.')
param allowGroupRules bool = false

@description('Grant User.Read.All so release terminals can look users up by badge number.')
param allowBadgeRelease bool = false

@description('Grant the application permission Printer.ReadWrite.All so set-up can write the pull queues\' printer attributes (the third step of Graph\'s pull-printing flow).')
param allowPullQueueSetup bool = false

@description('Count pages for pages quotas: grants PrintJob.Read.All and sets RELEASE_GATE_PAGE_COUNTING to on. Each job\'s document is downloaded at decision time, counted in memory and dropped.')
param allowPageCounting bool = false

@description('Delegates on the release page: grants User.ReadBasic.All (find colleagues in the directory) and sets RELEASE_GATE_DELEGATION to on.')
param allowDelegation bool = false

@description('Messages to users by email: grants User.Read.All (the recipient\'s address and language), sets RELEASE_GATE_MESSAGES (every kind) and RELEASE_GATE_MESSAGE_SENDER. Grants no Mail.Send in Entra ID: Mail.Send is granted in Exchange Online, scoped to the sender mailbox (see the README); an Entra Mail.Send grant would let the app send as anyone.')
param allowMessages bool = false

@description('The mailbox messages are sent from (with allowMessages).')
param messageSender string = ''

@description('Client id of an existing app registration, when createAppRegistration is false.')
param existingAppClientId string = ''

@description('E-mail address that receives alerts. Empty: alerts fire without notifications.')
param alertEmail string = ''

@allowed(['global', 'usgov', 'usgovdod'])
@description('Microsoft cloud of the print tenant: global (also GCC), usgov (GCC High) or usgovdod (DoD). Not china: Graph offers no Universal Print APIs in 21Vianet.')
param graphCloud string = 'global'

@description('Object id of the deploying user, granted Key Vault Secrets Officer to set secrets (azd fills it in).')
param principalId string = ''

@description('Close Key Vault and storage to the internet: only the Function App (through its VNet integration) and allowedIpAddresses reach them. See README, "Network".')
param restrictNetworkAccess bool = false

@description('Public IP addresses or CIDR ranges of the admins who run set-up and the doctor, allowed when restrictNetworkAccess is true.')
param allowedIpAddresses array = []

var printTenant = empty(printTenantId) ? tenant().tenantId : printTenantId
var tags = { 'azd-env-name': environmentName, application: 'release-gate' }
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var functionAppName = 'func-release-gate-${resourceToken}'
// The release page's address: the app registration lists it as its single-page-app redirect URI.
var appServiceDomain = environment().name == 'AzureUSGovernment'
  ? 'azurewebsites.us'
  : environment().name == 'AzureChinaCloud' ? 'chinacloudsites.cn' : 'azurewebsites.net'
var releasePageUrl = 'https://${functionAppName}.${appServiceDomain}/api/release'

resource resourceGroup 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

module identity 'modules/identity.bicep' = {
  name: 'identity'
  scope: resourceGroup
  params: { name: 'id-release-gate-${resourceToken}', location: location, tags: tags }
}

module graphApp 'modules/graph-app.bicep' = if (createAppRegistration) {
  name: 'graph-app'
  scope: resourceGroup
  params: {
    uniqueName: 'release-gate-${resourceToken}'
    managedIdentityPrincipalId: identity.outputs.principalId
    tenantId: printTenant
    allowGroupRules: allowGroupRules
    allowBadgeRelease: allowBadgeRelease
    allowPullQueueSetup: allowPullQueueSetup
    allowPageCounting: allowPageCounting
    allowDelegation: allowDelegation
    allowMessages: allowMessages
    releasePageUrl: releasePageUrl
  }
}

module resources 'modules/resources.bicep' = {
  name: 'resources'
  scope: resourceGroup
  params: {
    location: location
    tags: tags
    resourceToken: resourceToken
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    identityPrincipalId: identity.outputs.principalId
    printTenantId: printTenant
    taskDefinitionId: taskDefinitionId
    graphClientState: graphClientState
    notificationFunctionKey: notificationFunctionKey
    appClientId: createAppRegistration ? graphApp!.outputs.appClientId : existingAppClientId
    alwaysReadyInstances: alwaysReadyInstances
    maximumInstanceCount: maximumInstanceCount
    failSafeAction: failSafeAction
    alertEmail: alertEmail
    principalId: principalId
    graphCloud: graphCloud
    functionAppName: functionAppName
    restrictNetworkAccess: restrictNetworkAccess
    allowedIpAddresses: allowedIpAddresses
    pageCounting: allowPageCounting
    delegation: allowDelegation
    messages: allowMessages
    messageSender: messageSender
  }
}

// Outputs feed the set-up CLI (azd writes them to .azure/<env>/.env).
output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = resourceGroup.name
output RELEASE_GATE_TENANT_ID string = printTenant
output RELEASE_GATE_APP_CLIENT_ID string = createAppRegistration ? graphApp!.outputs.appClientId : existingAppClientId
// Set-up and the doctor sign the admin in through this registration (delegated permissions only).
output RELEASE_GATE_ADMIN_APP_CLIENT_ID string = createAppRegistration ? graphApp!.outputs.adminAppClientId : existingAppClientId
output RELEASE_GATE_FUNCTION_APP_NAME string = resources.outputs.functionAppName
output RELEASE_GATE_NOTIFICATION_URL string = resources.outputs.notificationUrl
output RELEASE_GATE_FUNCTION_APP_URL string = 'https://${functionAppName}.${appServiceDomain}'
output RELEASE_GATE_RELEASE_PAGE_URL string = releasePageUrl
output RELEASE_GATE_KEY_VAULT_URI string = resources.outputs.keyVaultUri
// Read by main.parameters.json's secretOrRandomPassword: the function key is generated once, then kept.
output AZURE_KEY_VAULT_NAME string = resources.outputs.keyVaultName
output APPLICATIONINSIGHTS_CONNECTION_STRING string = resources.outputs.applicationInsightsConnectionString
