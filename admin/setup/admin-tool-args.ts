/**
 * The command-line options `npm run setup` and `npm run doctor` share, each defaulting to the value
 * `eval "$(azd env get-values)"` puts in the environment. For `util.parseArgs`.
 */
export function adminToolArgs(env: NodeJS.ProcessEnv) {
  return {
    tenant: { type: 'string', default: env.RELEASE_GATE_TENANT_ID },
    'client-id': { type: 'string', default: env.RELEASE_GATE_APP_CLIENT_ID },
    'admin-client-id': { type: 'string', default: env.RELEASE_GATE_ADMIN_APP_CLIENT_ID || undefined },
    'function-url': { type: 'string', default: env.RELEASE_GATE_FUNCTION_APP_URL },
    'function-key': { type: 'string', default: env.RELEASE_GATE_FUNCTION_ADMIN_KEY },
    'task-definition-id': { type: 'string', default: env.RELEASE_GATE_TASK_DEFINITION_ID || undefined },
    printers: { type: 'string' },
    cloud: { type: 'string', default: env.RELEASE_GATE_CLOUD ?? 'global' },
    'authority-host': { type: 'string', default: env.RELEASE_GATE_AUTHORITY_HOST },
    'graph-base-url': { type: 'string', default: env.RELEASE_GATE_GRAPH_BASE_URL },
  } as const;
}
