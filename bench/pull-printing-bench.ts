import { gzipSync } from 'node:zlib';
import path from 'node:path';
import { TableClient } from '@azure/data-tables';
import { startSandbox, type Sandbox } from '../sandbox/sandbox';
import type { HostLogEntry } from '../sandbox/host/invocation';
import { DEMO_APP_CLIENT_ID } from '../sandbox/simulator/demo-tenant';
import { tableHoldStore, type HeldJob } from '../src/holds/hold-store';
import { releaseAsset, releasePage, releasePageConfig } from '../src/release/release-page';
import { percentile, round } from './stats';

/**
 * Pull printing's figures: time from a release request to the job on the chosen printer (simulator,
 * no added Graph latency), listing one user's 50 held jobs among thousands, and the page's weight.
 */
export async function benchPullPrinting(options: { quick: boolean }) {
  const logs: HostLogEntry[] = [];
  const recent: HostLogEntry[] = [];
  const sandbox = await startSandbox({
    hostPort: 0,
    log: (entry) => {
      if (entry.message.includes('"event":"task.finished"')) logs.push(entry);
      recent.push(entry);
      if (recent.length > 40) recent.shift();
    },
    settings: { RELEASE_GATE_POLICY_MODULE: path.join(__dirname, '..', 'sandbox', 'demo', 'demo-policy.ts') },
  }).catch((error: unknown) => {
    for (const entry of recent) console.error(`${entry.level} ${entry.functionName}: ${entry.message}`);
    throw error;
  });
  try {
    const release = await releaseLatency(sandbox, logs, options.quick ? 30 : 100);
    const listing = await listingLatency(sandbox, options.quick ? 1000 : 5000);
    return { release, listing, page: pageWeight() };
  } finally {
    await sandbox.stop();
  }
}

async function releaseLatency(sandbox: Sandbox, logs: HostLogEntry[], count: number) {
  const { tenant, demo, identity } = sandbox.simulator;
  const user = 'adele@contoso.example';
  const tasks = [];
  for (let i = 0; i < count; i++) {
    const { task } = tenant.submitJob({
      printerId: demo!.printers.pullQueue.id,
      userPrincipalName: user,
      document: { displayName: `Bench ${i}.pdf`, size: 100_000 },
    });
    tasks.push(task!);
  }
  const deadline = Date.now() + 120_000;
  while (tasks.some((t) => !logs.some((l) => l.message.includes(t.id)))) {
    if (Date.now() > deadline) throw new Error('The benchmark jobs were not all held in time');
    await new Promise((r) => setTimeout(r, 50));
  }
  const token = await identity.userToken(user, DEMO_APP_CLIENT_ID);
  const target = demo!.printers.library.id;
  const latencies: number[] = [];
  for (const task of tasks) {
    const started = performance.now();
    const response = await fetch(`${sandbox.host.url}/api/release/jobs/release`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ taskIds: [task.id], printerId: target }),
    });
    const body = (await response.json()) as { results: { status: string; newJobId: string }[] };
    // The answer comes once Graph (the simulator) has the job on the target printer.
    if (body.results[0]?.status !== 'released' || !tenant.jobs.get(target)?.has(body.results[0].newJobId))
      throw new Error(`Release failed: ${JSON.stringify(body)}`);
    latencies.push(performance.now() - started);
  }
  const sorted = latencies.sort((a, b) => a - b);
  return { releases: count, p50Ms: round(percentile(sorted, 50)), p99Ms: round(percentile(sorted, 99)) };
}

/** Seeds holds straight into the table (as the processor writes them), then lists one user's 50. */
async function listingLatency(sandbox: Sandbox, total: number) {
  const settings = sandbox.settings;
  const holds = tableHoldStore(
    TableClient.fromConnectionString(settings.AzureWebJobsStorage!, 'releasegateholds', {
      allowInsecureConnection: true,
    }),
  );
  const users = Object.values(sandbox.simulator.demo!.users).map((u) => u.userPrincipalName);
  const reader = 'megan@contoso.example';
  const now = Date.now();
  const hold = (i: number, owner: string): HeldJob => ({
    taskDefinitionId: sandbox.taskDefinitionId,
    taskId: `bench-${i}`,
    printerId: sandbox.simulator.demo!.printers.pullQueue.id,
    jobId: String(100000 + i),
    ownerUpn: owner,
    documentName: `Document ${i}.pdf`,
    sizeBytes: 100_000,
    heldAt: new Date(now - i * 1000).toISOString(),
    expiresAt: new Date(now + 86_400_000).toISOString(),
    onExpiry: 'deny',
    rule: 'bench',
    correlationId: `bench-${i}`,
    receivedAt: new Date(now).toISOString(),
  });
  const others = users.filter((u) => u !== reader);
  // Holds are keyed by the owner's object id (what the release page's token names), as the processor writes them.
  const readerId = [...sandbox.simulator.tenant.users.values()].find((u) => u.userPrincipalName === reader)!.id;
  // The reader's 50 are real jobs on the pull queue (the listing checks Graph still has them); their
  // notifications are dropped so nothing else decides them. Other users' holds are never looked at.
  const { tenant, notifier, demo } = sandbox.simulator;
  notifier.dropNext(sandbox.taskDefinitionId, 50);
  const real = Array.from({ length: 50 }, () =>
    tenant.submitJob({ printerId: demo!.printers.pullQueue.id, userPrincipalName: reader }),
  );
  const seeds = Array.from({ length: total }, (_, i) =>
    i < 50
      ? { ...hold(i, reader), ownerId: readerId, taskId: real[i]!.task!.id, jobId: real[i]!.job.id }
      : hold(i, `bench${i % 97}.${others[i % others.length]}`),
  );
  for (let i = 0; i < seeds.length; i += 50) await Promise.all(seeds.slice(i, i + 50).map((h) => holds.add(h)));

  const token = await sandbox.simulator.identity.userToken(reader, DEMO_APP_CLIENT_ID);
  const latencies: number[] = [];
  for (let i = 0; i < 60; i++) {
    const started = performance.now();
    const response = await fetch(`${sandbox.host.url}/api/release/jobs`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const body = (await response.json()) as { jobs?: unknown[] };
    if (body.jobs?.length !== 50)
      throw new Error(
        `Listed ${body.jobs?.length} jobs, expected 50: ${response.status} ${JSON.stringify(body).slice(0, 300)}`,
      );
    if (i >= 10) latencies.push(performance.now() - started); // the first ten warm up
  }
  const sorted = latencies.sort((a, b) => a - b);
  return {
    heldJobs: total,
    listed: 50,
    requests: latencies.length,
    p50Ms: round(percentile(sorted, 50)),
    p99Ms: round(percentile(sorted, 99)),
  };
}

function pageWeight() {
  const config = releasePageConfig({
    authorityHost: 'https://login.microsoftonline.com',
    tenantId: '00000000-0000-4000-8000-000000000001',
    clientId: '00000000-0000-4000-8000-000000000002',
  });
  const parts = [
    releasePage(config),
    releaseAsset('release.js', null, config),
    releaseAsset('release.css', null, config),
  ];
  const raw = parts.reduce((sum, part) => sum + Buffer.byteLength(part.body!), 0);
  const gzipped = parts.reduce((sum, part) => sum + gzipSync(part.body!).length, 0);
  return { files: parts.length, kB: round(raw / 1024, 1), gzippedKB: round(gzipped / 1024, 1) };
}
