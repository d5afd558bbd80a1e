/** An error Graph would answer, with its status and `{"error":{"code","message"}}` body. */
export class GraphHttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export const notFound = (what: string) => new GraphHttpError(404, 'ResourceNotFound', `${what} was not found.`);
export const badRequest = (message: string) => new GraphHttpError(400, 'BadRequest', message);
export const forbidden = (message: string) => new GraphHttpError(403, 'Forbidden', message);
export const conflict = (message: string) => new GraphHttpError(409, 'Conflict', message);
