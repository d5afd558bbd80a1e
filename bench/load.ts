import http from 'node:http';

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

/** One POST over a keep-alive connection; resolves with the status and latency in ms. */
export function post(
  url: string,
  body: string,
  headers: Record<string, string>,
): Promise<{ status: number; ms: number }> {
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const request = http.request(
      url,
      { method: 'POST', agent, headers: { ...headers, 'content-length': Buffer.byteLength(body) } },
      (response) => {
        response.resume();
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, ms: Number(process.hrtime.bigint() - started) / 1e6 }),
        );
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

/** Sends `count` requests with at most `concurrency` in flight; returns latencies and elapsed time. */
export async function closedLoop(
  count: number,
  concurrency: number,
  send: (i: number) => Promise<{ status: number; ms: number }>,
) {
  const latencies: number[] = [];
  const statuses = new Map<number, number>();
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++;
        const { status, ms } = await send(i);
        latencies.push(ms);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
      }
    }),
  );
  return { latencies, elapsedMs: performance.now() - started, statuses };
}

/** Sends at a fixed rate (requests per second) for `seconds`, whatever the server's latency. */
export async function openLoop(
  ratePerSecond: number,
  seconds: number,
  send: (i: number) => Promise<{ status: number; ms: number }>,
) {
  const latencies: number[] = [];
  const statuses = new Map<number, number>();
  const total = Math.round(ratePerSecond * seconds);
  const started = performance.now();
  const pending: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / ratePerSecond;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    pending.push(
      send(i).then(({ status, ms }) => {
        latencies.push(ms);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
      }),
    );
  }
  await Promise.all(pending);
  return { latencies, elapsedMs: performance.now() - started, statuses };
}

export function closeAgent(): void {
  agent.destroy();
}
