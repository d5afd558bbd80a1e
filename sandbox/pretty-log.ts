import type { HostLogSink } from './host/invocation';

/** Function logs for a person: time, function, event and its fields on one line. */
export const prettyLogSink: HostLogSink = (entry) => {
  let text = entry.message;
  try {
    const {
      event,
      invocationId: _i,
      functionName: _f,
      ...fields
    } = JSON.parse(entry.message) as Record<string, unknown>;
    const details = Object.entries(fields)
      .filter(([, v]) => v !== undefined && v !== '')
      .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
      .join(' ');
    text = `${String(event)} ${details}`;
  } catch {
    // not one of our structured events: print as is
  }
  const line = `${entry.time.toISOString().slice(11, 23)} ${entry.functionName.padEnd(22)} ${text}`;
  if (entry.level === 'error') console.error(`\x1b[31m${line}\x1b[0m`);
  else if (entry.level === 'warning') console.log(`\x1b[33m${line}\x1b[0m`);
  else console.log(line);
};
