import { paint, type Terminal } from '../admin/cli/cli';
import type { HostLogSink } from './host/invocation';

/**
 * Function logs for a person: time, function, event and its fields on one line; errors in red on
 * stderr, warnings in yellow, colour only where the terminal has it (never in a file, a pipe, or
 * with NO_COLOR).
 */
export function prettyLogSink(terminal: Terminal): HostLogSink {
  const out = paint(terminal.color.out);
  const err = paint(terminal.color.err);
  return (entry) => {
    const line = `${entry.time.toISOString().slice(11, 23)} ${entry.functionName.padEnd(22)} ${readable(entry.message)}`;
    if (entry.level === 'error') terminal.err(err.red(line));
    else if (entry.level === 'warning') terminal.out(out.yellow(line));
    else terminal.out(line);
  };
}

/** One of our structured events (JSON with `event`) as `event key=value …`; anything else as it is. */
export function readable(message: string): string {
  try {
    const parsed = JSON.parse(message) as unknown;
    if (!parsed || typeof parsed !== 'object' || !('event' in parsed)) return message;
    const { event, invocationId: _i, functionName: _f, ...fields } = parsed as Record<string, unknown>;
    const details = Object.entries(fields)
      .filter(([, v]) => v !== undefined && v !== '')
      .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
      .join(' ');
    return `${String(event)} ${details}`;
  } catch {
    return message; // not one of our structured events: print as is
  }
}
