/**
 * Structured logging: one JSON object per event, so Application Insights can query fields with
 * `parse_json(message)`. Never pass secrets, tokens or document contents as fields.
 */

/** The logging half of the Functions host's InvocationContext (and of `console`). */
export interface LogSink {
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
}

export type LogFields = Record<string, unknown>;

export interface Log {
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
  /** A log whose every event also carries these fields (e.g. a correlation id). */
  with(fields: LogFields): Log;
}

export function createLog(sink: LogSink, base: LogFields = {}): Log {
  const emit = (level: 'info' | 'warn' | 'error', event: string, fields?: LogFields) =>
    sink[level](JSON.stringify({ event, ...base, ...fields }));
  return {
    info: (event, fields) => emit('info', event, fields),
    warn: (event, fields) => emit('warn', event, fields),
    error: (event, fields) => emit('error', event, fields),
    with: (fields) => createLog(sink, { ...base, ...fields }),
  };
}

/**
 * What went wrong, as text: an error's message, or anything else thrown turned into a string. With
 * `maxLength`, cut to that many characters (for log fields and messages that must stay short).
 */
export function errorText(error: unknown, maxLength?: number): string {
  const text = error instanceof Error ? error.message : String(error);
  return maxLength === undefined ? text : text.slice(0, maxLength);
}

/** Error details safe to log: name, message and Graph/storage status codes, no request bodies or headers. */
export function describeError(error: unknown): LogFields {
  if (!(error instanceof Error)) return { error: errorText(error) };
  const withCode = error as Error & { code?: unknown; statusCode?: unknown };
  return {
    error: errorText(error),
    errorName: error.name,
    ...(withCode.code !== undefined ? { errorCode: String(withCode.code) } : {}),
    ...(withCode.statusCode !== undefined ? { statusCode: withCode.statusCode } : {}),
  };
}
