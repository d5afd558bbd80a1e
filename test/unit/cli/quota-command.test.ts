import { runCommand } from '../../../admin/cli/cli';
import { formatReport } from '../../../scripts/report';
import { quotaUsage } from '../../../admin/quota-usage';
import { command, EXIT_UNKNOWN, type QuotaCommandDependencies } from '../../../scripts/quota';
import { memoryUsageStore } from '../../../src/quota/memory-usage-store';
import type { UsageStore } from '../../../src/quota/quota-model';
import { item } from '../../support/usage-store-contract';
import { recordingTerminal } from '../../support/recording-terminal';

const ana = '0b7c3f0e-1d2a-4b5c-8d9e-0f1a2b3c4d5e';
const ben = '0b7c3f0e-1d2a-4b5c-8d9e-0f1a2b3c4d5f';

/** `npm run quota -- …` in-process against a memory store. */
async function quota(store: UsageStore, args: string[], deps: QuotaCommandDependencies = {}) {
  const terminal = recordingTerminal();
  const code = await runCommand(
    command(terminal, {}, { store: () => store, now: () => new Date('2026-12-02T10:00:00Z'), ...deps }),
    args,
    terminal,
  );
  return { code, stdout: terminal.stdout(), stderr: terminal.stderr() };
}

async function seeded(): Promise<UsageStore> {
  const store = memoryUsageStore();
  await store.reserve(ana, 'j1', [item(3, 10, { viaGroups: ['students'] })], {
    userPrincipalName: 'Ana@school.example',
  });
  await store.confirm(ana, 'j1');
  await store.reserve(ben, 'j2', [item(2, 10, { viaGroups: ['students'] })], {
    userPrincipalName: 'ben@school.example',
  });
  return store;
}

describe('npm run quota', () => {
  it('lists usage per user, quota and period', async () => {
    const { code, stdout } = await quota(await seeded(), ['list']);
    expect(code).toBe(0);
    expect(stdout.trim().split('\n')).toEqual([
      'user                quota   period   used  reserved  top-up  limit',
      '------------------  ------  -------  ----  --------  ------  -----',
      'Ana@school.example  colour  2026-12     3         0       0     10',
      'ben@school.example  colour  2026-12     0         2       0     10',
    ]);
  });

  it('finds a user by UPN whatever the case, and suggests the nearest for a typo', async () => {
    const store = await seeded();
    const found = await quota(store, ['list', '--user', 'ANA@SCHOOL.EXAMPLE', '--json']);
    expect(JSON.parse(found.stdout)).toEqual([expect.objectContaining({ userKey: ana, confirmed: 3 })]);
    const typo = await quota(store, ['list', '--user', 'ana@school.exampel']);
    expect(typo.code).toBe(EXIT_UNKNOWN);
    expect(typo.stderr).toContain('--user "ana@school.exampel": no quota usage is recorded');
    expect(typo.stderr).toContain('Did you mean Ana@school.example?');
  });

  it('tops up one user, recording who and why', async () => {
    const store = await seeded();
    const { code, stdout } = await quota(store, [
      'top-up',
      '--user',
      'ana@school.example',
      '--quota',
      'colour',
      '--period',
      '2026-12',
      '--amount',
      '5',
      '--reason',
      'exam prints',
      '--by',
      'it@school.example',
    ]);
    expect(code).toBe(0);
    expect(stdout).toContain(
      'Topped up Ana@school.example by 5 for colour 2026-12: top-up now 5, used 3, reserved 0, limit 10 + 5.',
    );
    expect(await store.adminActions()).toEqual([
      {
        at: '2026-12-02T10:00:00.000Z',
        who: 'it@school.example',
        action: 'top-up',
        userKey: ana,
        userPrincipalName: 'Ana@school.example',
        quota: 'colour',
        periodKey: '2026-12',
        amount: 5,
        reason: 'exam prints',
      },
    ]);
    const audit = await quota(store, ['audit']);
    expect(audit.stdout).toContain('2026-12-02T10:00:00Z  it@school.example  top-up  Ana@school.example');
  });

  it('refuses a top-up that is not a whole number', async () => {
    const { code, stderr } = await quota(await seeded(), [
      'top-up',
      '--user',
      ana,
      '--quota',
      'colour',
      '--period',
      '2026-12',
      '--amount',
      '2.5',
      '--reason',
      'x',
    ]);
    expect(code).toBe(2);
    expect(stderr).toContain('"2.5" is not a whole number from 1');
  });

  it('refuses a period key or quota name no job would ever be counted under, echoing it, and writes nothing', async () => {
    const store = await seeded();
    const base = ['top-up', '--user', ana, '--amount', '5', '--reason', 'r'];
    const badPeriod = await quota(store, [...base, '--quota', 'colour-pages', '--period', 'term:Autumn 2026']);
    expect(badPeriod.code).toBe(2);
    expect(badPeriod.stderr).toContain('"term:Autumn 2026" is not a period key');
    const badQuota = await quota(store, [...base, '--quota', 'colour pages', '--period', '2026-12']);
    expect(badQuota.code).toBe(2);
    expect(badQuota.stderr).toContain('"colour pages" is not a quota name');
    expect(await store.adminActions()).toEqual([]);
  });

  it('resets every user only with --yes, and never waits for an answer without a terminal', async () => {
    const store = await seeded();
    const args = ['reset', '--quota', 'colour', '--period', '2026-12', '--reason', 'new term'];
    const refused = await quota(store, args, { ask: () => undefined });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("resetting every user's colour 2026-12 needs --yes (stdin is not a terminal");
    const declined = await quota(store, args, { ask: () => Promise.resolve(false) });
    expect(declined.code).toBe(1);
    expect(await store.adminActions()).toEqual([]);
    const done = await quota(store, [...args, '--yes']);
    expect(done).toMatchObject({ code: 0 });
    expect(done.stdout).toContain('Reset colour 2026-12 for 2 user(s)');
    expect((await store.list()).map((c) => [c.confirmed, c.reserved])).toEqual([
      [0, 0],
      [0, 2],
    ]);
  });

  it('resets one user without asking, and names the nearest period when nothing matches', async () => {
    const store = await seeded();
    const one = await quota(store, [
      'reset',
      '--quota',
      'colour',
      '--period',
      '2026-12',
      '--user',
      ana,
      '--reason',
      'fault',
    ]);
    expect(one.stdout).toContain('Reset colour 2026-12 for Ana@school.example');
    const none = await quota(store, ['reset', '--quota', 'colour', '--period', '2026-11', '--reason', 'x', '--yes']);
    expect(none.code).toBe(EXIT_UNKNOWN);
    expect(none.stderr).toContain(
      'No usage of quota colour in period 2026-11 is recorded, so there is nothing to reset. Did you mean period 2026-12?',
    );
  });

  it('refuses a bad --from for the audit, echoing it', async () => {
    const { code, stderr } = await quota(memoryUsageStore(), ['audit', '--from', '2026-13-01']);
    expect(code).toBe(2);
    expect(stderr).toContain('--from "2026-13-01" is not a date');
  });

  it('adds quota usage by user and group to the report, and nothing when there is none', async () => {
    const decisions = {
      from: '',
      to: '',
      period: 'p',
      total: 0,
      byRule: {},
      byAction: {},
      byOutcome: {},
      byPrinter: {},
      byUser: {},
    };
    expect(await quotaUsage(memoryUsageStore())).toBeUndefined();
    expect(formatReport(decisions)).toBe('No decisions from p.');
    const usage = await quotaUsage(await seeded());
    expect(usage?.byGroup).toEqual([
      { quota: 'colour', period: '2026-12', group: 'students', users: 2, used: 3, reserved: 2 },
    ]);
    const text = formatReport({ ...decisions, quotaUsage: usage! });
    expect(text).toContain('Quota usage by user\n\nuser ');
    expect(text).toContain('Quota usage by group\n\ngroup     quota   period   users  used  reserved');
  });
});
