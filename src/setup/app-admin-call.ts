/**
 * One call to the deployed app's admin endpoints (`/api/setup/...`, authLevel admin: the master key), for the
 * set-up CLI and the doctor. A refused key gets the fix; other answers are the caller's to judge.
 */
export type AppAdminCall = (method: string, path: string, body?: unknown) => Promise<Response>;

export function appAdminCall(functionUrl: string, functionKey?: string): AppAdminCall {
  const base = `${functionUrl.replace(/\/+$/, '')}/api/setup`;
  return async (method, path, body) => {
    const url = `${base}/${path}`;
    const response = await fetch(url, {
      method,
      headers: {
        ...(functionKey ? { 'x-functions-key': functionKey } : {}),
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(60_000),
    });
    if (response.status === 401 || response.status === 403)
      throw new Error(`${url} refused the key: pass the app's master key with --function-key`);
    return response;
  };
}
