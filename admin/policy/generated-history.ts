/**
 * A generated, deterministic audit history of a school: students, staff and a few visitors printing on
 * four printers through school days (some evenings and weekends), with a mix of colour, duplex and
 * copies. Each job is decided by a real policy through the processor's recording context, so the
 * records carry exactly the look-ups that policy made. For the replay benchmark and the committed
 * example (policies/examples/school/history.jsonl, written by scripts/example-history.ts).
 */
import type { AuditOutcome, AuditRecord } from '../../src/audit/audit-log';
import type { Decision, PolicyContext, ReleasePolicy } from '../../src/policy/decision';
import { recordingContext } from '../../src/policy/recorded-context';

/** A small seeded generator (mulberry32): the same seed gives the same history everywhere. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const HISTORY_PRINTERS = [
  {
    id: '9f8e7d6c-0000-4000-8000-000000000003',
    displayName: 'School Library',
    location: { site: 'School', building: 'Main', floor: '0' },
  },
  {
    id: '9f8e7d6c-0000-4000-8000-000000000011',
    displayName: 'Staff Room',
    location: { site: 'School', building: 'Main', floor: '1' },
  },
  {
    id: '9f8e7d6c-0000-4000-8000-000000000012',
    displayName: 'Science Lab',
    location: { site: 'School', building: 'Science', floor: '0' },
  },
  {
    id: '9f8e7d6c-0000-4000-8000-000000000013',
    displayName: 'Office Colour',
    location: { site: 'School', building: 'Main', floor: '0' },
  },
];

/** The visitors' group of the stricter example policy (stricter.json). */
export const VISITORS_GROUP = '5e6f7a8b-0000-4000-8000-000000000001';

const DOCUMENTS = [
  ['Essay.docx', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', 60_000],
  ['Worksheet.pdf', 'application/pdf', 250_000],
  ['Slides.pdf', 'application/pdf', 2_400_000],
  ['Lab report.pdf', 'application/pdf', 900_000],
  ['Timetable.xlsx', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', 40_000],
  ['Poster.png', 'image/png', 3_500_000],
] as const;

interface Person {
  id: string;
  upn: string;
  name: string;
  groups: string[];
}

function people(): Person[] {
  const hex = (n: number) => n.toString(16).padStart(12, '0');
  const students = Array.from({ length: 24 }, (_, i) => ({
    id: `0b1c2d3e-0000-4000-8000-${hex(0x100 + i)}`,
    upn: `student${String(i + 1).padStart(2, '0')}@students.school.example`,
    name: `Student ${i + 1}`,
    groups: [],
  }));
  const staff = Array.from({ length: 6 }, (_, i) => ({
    id: `0b1c2d3e-0000-4000-8000-${hex(0x200 + i)}`,
    upn: `teacher${i + 1}@staff.school.example`,
    name: `Teacher ${i + 1}`,
    groups: [],
  }));
  const visitors = Array.from({ length: 2 }, (_, i) => ({
    id: `0b1c2d3e-0000-4000-8000-${hex(0x300 + i)}`,
    upn: `visitor${i + 1}@partner.example`,
    name: `Visitor ${i + 1}`,
    groups: [VISITORS_GROUP],
  }));
  // Students print most, visitors least.
  return [...students, ...students, ...staff, ...staff, ...staff, ...visitors];
}

const OUTCOMES: Record<Decision['action'], AuditOutcome> = {
  release: 'released',
  'release-with-changes': 'released-with-changes',
  redirect: 'redirected',
  deny: 'denied',
  hold: 'held',
};

/** One job's time: mostly school days 08:00–17:00 (busiest mid-morning), some evenings and weekends. */
function jobTime(random: () => number, firstDay: number, days: number): number {
  const day = firstDay + Math.floor(random() * days) * 86_400_000;
  const weekday = new Date(day).getUTCDay();
  if ((weekday === 0 || weekday === 6) && random() < 0.8) return jobTime(random, firstDay, days);
  const r = random();
  const hour = r < 0.06 ? 6 + random() * 1.5 : r < 0.9 ? 8 + random() * 9 : 17 + random() * 4;
  return day + Math.floor(hour * 3_600_000) + Math.floor(random() * 60_000);
}

/**
 * `count` decided jobs in the `days` days from `firstDay` (YYYY-MM-DD, UTC), each decided by `policy` as the
 * processor would (recorded context, outcome), in time order.
 */
export async function generateHistory(options: {
  policy: ReleasePolicy;
  count: number;
  firstDay: string;
  days: number;
  seed?: number;
}): Promise<AuditRecord[]> {
  const random = seededRandom(options.seed ?? 17);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const who = people();
  const firstDay = Date.parse(`${options.firstDay}T00:00:00Z`);
  const times = Array.from({ length: options.count }, () => jobTime(random, firstDay, options.days)).sort(
    (a, b) => a - b,
  );
  const records: AuditRecord[] = [];
  for (const [index, time] of times.entries()) {
    const person = pick(who);
    const printer = pick(HISTORY_PRINTERS);
    const [documentName, contentType, size] = pick(DOCUMENTS);
    const r = random();
    const copies = r < 0.7 ? 1 : r < 0.93 ? 2 + Math.floor(random() * 4) : 10 + Math.floor(random() * 21);
    const jobId = String(20000 + index);
    const decidedAt = new Date(time);
    const base: PolicyContext = {
      tenantId: 'school',
      now: decidedAt,
      job: {
        id: jobId,
        printerId: printer.id,
        createdDateTime: new Date(time - 800).toISOString(),
        owner: { id: person.id, userPrincipalName: person.upn, displayName: person.name },
        configuration: {
          copies,
          colorMode: random() < 0.4 ? 'color' : 'grayscale',
          duplexMode: random() < 0.5 ? 'flipOnLongEdge' : 'oneSided',
          mediaSize: random() < 0.95 ? 'A4' : 'A3',
        },
        document: { name: documentName, sizeBytes: size, contentType },
      },
      printer: () => Promise.resolve(printer),
      memberOf: (groupIds) => Promise.resolve(new Set(groupIds.filter((g) => person.groups.includes(g)))),
      // The generated history has no quota usage: a policy that asks fails, as without a usage store.
      quota: (name) => Promise.reject(new Error(`The generated history has no usage for quota "${name}"`)),
    };
    const recording = recordingContext(base);
    const decision = await options.policy.decide(recording.context);
    const receivedAt = new Date(time - 400).toISOString();
    records.push({
      receivedAt,
      taskId: `task-${jobId}`,
      taskDefinitionId: 'release-gate',
      jobId,
      printerId: printer.id,
      printerName: printer.displayName,
      userPrincipalName: person.upn,
      documentName,
      rule: decision.rule,
      action: decision.action,
      ...(decision.reason ? { reason: decision.reason } : {}),
      decision,
      outcome: OUTCOMES[decision.action],
      correlationId: `corr-${jobId}`,
      decidedAt: decidedAt.toISOString(),
      completedAt: new Date(time + 900).toISOString(),
      policyContext: recording.recorded(),
    });
  }
  return records;
}
