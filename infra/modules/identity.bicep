// The one user-assigned managed identity everything runs as: storage, Key Vault, Application
// Insights, and (as a federated credential of the app registration) Microsoft Graph.
param name string
param location string
param tags object

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: name
  location: location
  tags: tags
}

output id string = identity.id
output clientId string = identity.properties.clientId
output principalId string = identity.properties.principalId
