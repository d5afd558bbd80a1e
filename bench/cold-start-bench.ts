import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { round } from './stats';

const root = path.resolve(__dirname, '..');

function timeRequire(script: string): number {
  const out = execFileSync(
    process.execPath,
    ['-e', `const t=process.hrtime.bigint();${script};console.log(Number(process.hrtime.bigint()-t)/1e6)`],
    {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, NODE_OPTIONS: '' },
    },
  );
  return Number(out.trim().split('\n').pop());
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/**
 * Cold load of the compiled webhook (what a new instance pays before it can answer), beside loading
 * every SDK the app uses eagerly. Each figure is the median of fresh Node processes.
 */
export function benchColdStart(runs = 7) {
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {
    cwd: root,
    stdio: 'inherit',
  });
  const webhook = "require('./dist/functions/notifications.js')";
  const allFunctions =
    "for (const f of require('fs').readdirSync('dist/functions').filter(f=>f.endsWith('.js'))) require('./dist/functions/'+f)";
  const eager = [
    '@azure/functions',
    '@azure/storage-queue',
    '@azure/data-tables',
    '@azure/identity',
    '@azure/keyvault-secrets',
    '@microsoft/microsoft-graph-client',
    'zod',
  ]
    .map((p) => `require('${p}')`)
    .join(';');
  const measure = (script: string) => median(Array.from({ length: runs }, () => timeRequire(script)));
  return [
    { module: 'webhook function (dist/functions/notifications.js)', medianMs: round(measure(webhook)) },
    { module: 'every function file, as the host loads them', medianMs: round(measure(allFunctions)) },
    { module: 'every SDK the app uses, loaded eagerly', medianMs: round(measure(eager)) },
  ];
}
