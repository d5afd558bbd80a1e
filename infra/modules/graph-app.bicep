// The Entra ID side, with the Microsoft Graph Bicep extension: the app registration that holds
// the application permissions (used by the Function App through its managed identity, with no
// secret: a federated identity credential) and the release page's scope; and a separate admin
// app registration, a public client with only the delegated permissions, that signs the admin in
// for set-up and the doctor (device code). A device-code phishing lure for the admin app can win
// at most what the signed-in admin may do; it never reaches the main app's application permissions.
extension microsoftGraphV1

param uniqueName string
param managedIdentityPrincipalId string
param tenantId string
@description('Grant GroupMember.Read.All, needed only when policy rules use group membership.')
param allowGroupRules bool
@description('Grant User.Read.All, needed only for badge release at terminals (badge number to user).')
param allowBadgeRelease bool
@description('Grant the application permission Printer.ReadWrite.All, needed only to write pull queues\' printer attributes at set-up.')
param allowPullQueueSetup bool
@description('Grant PrintJob.Read.All, needed only for page counting (a job\'s document is downloaded at decision time to count its pages).')
param allowPageCounting bool
@description('Grant User.ReadBasic.All, needed only for delegates: users find colleagues in the directory (id, name, UPN).')
param allowDelegation bool
@description('Messages to users: User.Read.All for the recipient\'s address and language (Mail.Send is granted in Exchange Online, never here).')
param allowMessages bool
@description('The release page (https://<function app>/api/release): where Entra ID sends users back after sign-in.')
param releasePageUrl string

var microsoftGraphAppId = '00000003-0000-0000-c000-000000000000'

// Least privilege: exactly what the processor calls (see README, "Permissions"). The same list, with the same
// ids, is src/graph/app-permissions.ts; a unit test keeps the two equal.
var applicationPermissions = [
  { name: 'PrintTaskDefinition.ReadWrite.All', id: '456b71a7-0ee0-4588-9842-c123fcc8f664' } // tasks, definitions, subscriptions
  { name: 'PrintJob.Manage.All', id: '58a52f47-9e36-4b17-9ebe-ce4ef7f3e6c8' } // update, redirect, abort jobs
  { name: 'PrintJob.ReadBasic.All', id: 'fbf67eee-e074-4ef7-b965-ab5ce1c1f689' } // read jobs: Manage.All is not in Get/List printJob's tables
  { name: 'Printer.Read.All', id: '9709bb33-4549-49d4-8ed9-a8f65e45bb0f' } // printer and location for policies
]
// Only for policies with group conditions (checkMemberGroups).
var groupPermissions = allowGroupRules ? [{ name: 'GroupMember.Read.All', id: '98830695-27a2-44f7-8c18-0c3ebc9698f6' }] : []
// Only for badge release at terminals (users looked up by a directory attribute such as employeeId).
var badgePermissions = allowBadgeRelease ? [{ name: 'User.Read.All', id: 'df021288-bdef-4463-88db-98f22de89214' }] : []
// Only for set-up's pull queues: their printer attributes (IPP), which Graph lets only the registering app write.
var pullQueuePermissions = allowPullQueueSetup ? [{ name: 'Printer.ReadWrite.All', id: 'f5b3f73d-6247-44df-a74c-866173fddab0' }] : []
// Only for page counting (pages quotas): a job's document content, read at decision time and never kept.
var pageCountingPermissions = allowPageCounting ? [{ name: 'PrintJob.Read.All', id: 'ac6f956c-edea-44e4-bd06-64b1b4b9aec9' }] : []
// Only for delegates on the release page: find a colleague by name (id, display name and UPN only).
var delegationPermissions = allowDelegation ? [{ name: 'User.ReadBasic.All', id: '97235f07-e226-4f63-ace3-39588e11d3a1' }] : []
// Only for messages to users: the recipient's mail address and preferredLanguage (never Mail.Send: Exchange grants that).
var messagePermissions = allowMessages ? [{ name: 'User.Read.All', id: 'df021288-bdef-4463-88db-98f22de89214' }] : []
// union, not concat: badges and messages may both grant User.Read.All, and each permission is granted once.
var grantedApplicationPermissions = union(applicationPermissions, groupPermissions, badgePermissions, pullQueuePermissions, pageCountingPermissions, delegationPermissions, messagePermissions)

// The release page signs users in for this app's own API scope; the release API checks their tokens.
var releaseScope = 'Release.Use'

// Delegated, for the admin tools only (on the admin app registration): task triggers, printer registration and
// shares can only be made by a signed-in Printer Administrator.
var delegatedPermissions = [
  { name: 'Printer.ReadWrite.All', id: '89f66824-725f-4b8f-928e-e1c5258dc565' } // triggers; register pull queues
  { name: 'PrinterShare.ReadWrite.All', id: '06ceea37-85e2-40d7-bec3-91337a46038f' } // share pull queues with users
  { name: 'Application.Read.All', id: 'c79f8feb-a9db-4090-85f9-90d820caa0eb' } // npm run doctor: the app's granted permissions
]

// Delegated, on the main app: the release API reads printer shares as the signed-in user (on-behalf-of their
// Release.Use token, which only this app can exchange): the printers a user may release to.
var onBehalfOfPermissions = [
  { name: 'PrinterShare.Read.All', id: 'ed11134d-2f3f-440d-a2e1-411efada2502' } // printers the user may use
]

// Delegated, on the main app: what the release page asks for when it signs a user in (web/release/release.js).
// offline_access gives the single-page app its 24-hour refresh token, so a user who comes back to a printer
// the same day is not asked to sign in again. Consented below, so users are never asked.
var signInPermissions = [
  { name: 'openid', id: '37f7f235-527c-4136-accd-4a02d197296e' }
  { name: 'profile', id: '14dad69e-099b-42c9-810b-d002981feec1' }
  { name: 'offline_access', id: '7427e0e9-2fba-42fe-b0c0-848c9e6a8182' }
]

resource app 'Microsoft.Graph/applications@v1.0' = {
  uniqueName: uniqueName
  displayName: 'Release Gate'
  signInAudience: 'AzureADMyOrg'
  isFallbackPublicClient: false // no device code, no password flows: the admin tools use the admin app
  // The release page is a single-page app: authorization code with PKCE, no secret in the browser.
  spa: { redirectUris: [releasePageUrl] }
  api: {
    requestedAccessTokenVersion: 2 // tokens for <client id>/Release.Use carry aud = the client id
    oauth2PermissionScopes: [
      {
        id: guid(uniqueName, releaseScope)
        value: releaseScope
        type: 'User'
        isEnabled: true
        adminConsentDisplayName: 'Release your own held print jobs'
        adminConsentDescription: 'Lets the release page list, release and delete the signed-in user\'s own held print jobs.'
        userConsentDisplayName: 'Release your own held print jobs'
        userConsentDescription: 'Lets the release page list, release and delete your own held print jobs.'
      }
    ]
  }
  requiredResourceAccess: [
    {
      resourceAppId: microsoftGraphAppId
      resourceAccess: concat(
        map(grantedApplicationPermissions, p => { id: p.id, type: 'Role' }),
        map(concat(onBehalfOfPermissions, signInPermissions), p => { id: p.id, type: 'Scope' })
      )
    }
  ]

  // Secretless app credential: the Function App's managed identity may act as this app.
  resource functionAppIdentity 'federatedIdentityCredentials@v1.0' = {
    name: '${uniqueName}/function-app-identity'
    audiences: ['api://AzureADTokenExchange']
    issuer: '${environment().authentication.loginEndpoint}${tenantId}/v2.0'
    subject: managedIdentityPrincipalId
  }
}

resource servicePrincipal 'Microsoft.Graph/servicePrincipals@v1.0' = {
  appId: app.appId
}

resource microsoftGraph 'Microsoft.Graph/servicePrincipals@v1.0' existing = {
  appId: microsoftGraphAppId
}

// Admin consent for the application permissions.
resource applicationPermissionGrants 'Microsoft.Graph/appRoleAssignedTo@v1.0' = [
  for permission in grantedApplicationPermissions: {
    appRoleId: permission.id
    principalId: servicePrincipal.id
    resourceId: microsoftGraph.id
  }
]

// The admin tools' own registration: a public client (device code) with delegated permissions only.
resource adminApp 'Microsoft.Graph/applications@v1.0' = {
  uniqueName: '${uniqueName}-admin'
  displayName: 'Release Gate admin tools'
  signInAudience: 'AzureADMyOrg'
  isFallbackPublicClient: true // set-up and the doctor sign the admin in with the device-code flow
  requiredResourceAccess: [
    {
      resourceAppId: microsoftGraphAppId
      resourceAccess: map(delegatedPermissions, p => { id: p.id, type: 'Scope' })
    }
  ]
}

resource adminServicePrincipal 'Microsoft.Graph/servicePrincipals@v1.0' = {
  appId: adminApp.appId
}

// Admin consent for the delegated admin-tool permissions (the tools still need a Printer Administrator).
resource delegatedPermissionGrant 'Microsoft.Graph/oauth2PermissionGrants@v1.0' = {
  clientId: adminServicePrincipal.id
  consentType: 'AllPrincipals'
  resourceId: microsoftGraph.id
  scope: join(map(delegatedPermissions, p => p.name), ' ')
}

// Admin consent for what the release API reads as the user (on-behalf-of) and what the release page's sign-in
// asks for, so users are never asked. One grant: Entra ID keeps one per client, resource and consent type.
resource onBehalfOfGrant 'Microsoft.Graph/oauth2PermissionGrants@v1.0' = {
  clientId: servicePrincipal.id
  consentType: 'AllPrincipals'
  resourceId: microsoftGraph.id
  scope: join(map(concat(onBehalfOfPermissions, signInPermissions), p => p.name), ' ')
}

// Admin consent for the release page's own scope, so users are never asked to consent.
resource releasePageGrant 'Microsoft.Graph/oauth2PermissionGrants@v1.0' = {
  clientId: servicePrincipal.id
  consentType: 'AllPrincipals'
  resourceId: servicePrincipal.id
  scope: releaseScope
}

output appClientId string = app.appId
output servicePrincipalId string = servicePrincipal.id
output adminAppClientId string = adminApp.appId
