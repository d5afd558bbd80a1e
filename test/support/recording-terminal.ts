import type { Terminal } from '../../admin/cli/cli';

/** A terminal for running a command in-process: what it wrote to stdout and stderr. */
export function recordingTerminal(color = false): Terminal & { stdout: () => string; stderr: () => string } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out: (text) => void out.push(text),
    err: (text) => void err.push(text),
    color: { out: color, err: color },
    interactive: false,
    stdout: () => out.join(''),
    stderr: () => err.join(''),
  };
}
