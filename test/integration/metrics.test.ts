import { execFileSync } from 'node:child_process';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { ensureDevCertificates } from '../../sandbox/tls/dev-certificates';
import { createMetrics } from '../../src/observability/metrics';

/**
 * Metrics reach Application Insights through the real OpenTelemetry SDK and Azure Monitor exporter,
 * here pointed at a local HTTPS ingestion endpoint; without a connection string nothing is loaded.
 */
describe('metrics', () => {
  it('sends counters and histograms to the ingestion endpoint of the connection string', async () => {
    const { serverKey, serverCert } = await ensureDevCertificates();
    const received: string[] = [];
    const server = https.createServer({ key: serverKey, cert: serverCert }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks);
        received.push(req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw).toString() : raw.toString());
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ itemsReceived: 1, itemsAccepted: 1, errors: [] }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    try {
      const port = (server.address() as AddressInfo).port;
      const metrics = createMetrics({
        connectionString: `InstrumentationKey=00000000-0000-4000-8000-000000000000;IngestionEndpoint=https://127.0.0.1:${port}/`,
        exportIntervalMs: 60_000,
      });
      metrics.notifications('accepted', 3);
      metrics.decision('deny', 'after hours');
      metrics.graphCall('setTaskState', 429, 12.5);
      metrics.queueAge(850);
      metrics.poisoned();
      await metrics.flush();
      const sent = received.join('\n');
      for (const name of [
        'release_gate.notifications',
        'release_gate.decisions',
        'release_gate.graph.duration',
        'release_gate.graph.throttled',
        'release_gate.queue.age',
        'release_gate.tasks.poisoned',
      ]) {
        expect(sent).toContain(name);
      }
      expect(sent).toContain('after hours');
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it('without a connection string, records nothing and loads no OpenTelemetry module', () => {
    const script = `
      const { createMetrics } = require('./src/observability/metrics');
      const m = createMetrics({});
      m.decision('release', 'r'); m.notifications('accepted', 1); m.graphCall('x', 200, 1); m.queueAge(1); m.poisoned();
      const loaded = Object.keys(require.cache).filter((f) => /@opentelemetry|monitor-opentelemetry/.test(f));
      console.log(JSON.stringify(loaded));`;
    const out = execFileSync(process.execPath, ['--require', 'tsx/cjs', '-e', script], {
      cwd: path.resolve(__dirname, '../..'),
      encoding: 'utf8',
    });
    expect(JSON.parse(out.trim().split('\n').pop()!)).toEqual([]);
  });

  it('takes its connection from the settings it is given, not from the environment', async () => {
    const script = `
      const { metricsFromSettings } = require('./src/observability/metrics');
      const m = metricsFromSettings({});
      m.notifications('accepted', 1);
      setTimeout(() => {
        const loaded = Object.keys(require.cache).filter((f) => /@opentelemetry|monitor-opentelemetry/.test(f));
        console.log(JSON.stringify(loaded));
      }, 50);`;
    const out = execFileSync(process.execPath, ['--require', 'tsx/cjs', '-e', script], {
      cwd: path.resolve(__dirname, '../..'),
      encoding: 'utf8',
      // Set in the environment, absent from the settings: the settings win, nothing is sent or loaded.
      env: {
        ...process.env,
        APPLICATIONINSIGHTS_CONNECTION_STRING: 'InstrumentationKey=00000000-0000-0000-0000-000000000000',
      },
    });
    expect(JSON.parse(out.trim().split('\n').pop()!)).toEqual([]);
  });
});
