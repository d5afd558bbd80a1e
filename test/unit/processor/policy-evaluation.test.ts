import { GraphError } from '@microsoft/microsoft-graph-client';
import { boundedRetryOptions } from '../../../src/graph/graph-client';
import type { PrintApi } from '../../../src/graph/print-api';
import { PolicyUnavailableError, TimeLimitError } from '../../../src/policy/evaluation-errors';
import { loadPolicyFromSettings } from '../../../src/policy/load-policy';
import { PluginFailure, withinTime } from '../../../src/policy/plugins';
import {
  absorbedTransientFailure,
  classifyEvaluationFailure,
  evaluationLookups,
} from '../../../src/processor/policy-evaluation';
import { buildPolicyContext } from '../../../src/policy/policy-context';

const graphError = (status: number, retryAfter?: string) => {
  const error = new GraphError(status, `status ${status}`);
  if (retryAfter) error.headers = new Headers({ 'retry-after': retryAfter });
  return error;
};

describe('a policy that could not decide: retried or fail-safe', () => {
  it('Graph throttling or a 5xx during a look-up is transient, and keeps the Graph error (its Retry-After)', () => {
    const throttled = graphError(429, '30');
    expect(classifyEvaluationFailure(throttled)).toMatchObject({ transient: true, error: throttled });
    expect(classifyEvaluationFailure(graphError(503))).toMatchObject({ transient: true });
    expect(classifyEvaluationFailure(graphError(500))).toMatchObject({ transient: true });
  });

  it('a look-up Graph refuses for good is permanent: 403 (a missing permission), 404, 400', () => {
    expect(classifyEvaluationFailure(graphError(403))).toMatchObject({ transient: false, kind: 'forbidden' });
    expect(classifyEvaluationFailure(graphError(404))).toMatchObject({ transient: false, kind: 'not-found' });
    expect(classifyEvaluationFailure(graphError(400))).toMatchObject({ transient: false, kind: 'refused' });
  });

  it('a time limit and a policy not read yet are transient; an invalid policy or its own error are permanent', async () => {
    const timedOut = await withinTime(() => new Promise(() => undefined), 5, 'Policy x').catch((e: unknown) => e);
    expect(timedOut).toBeInstanceOf(TimeLimitError);
    expect(classifyEvaluationFailure(timedOut)).toMatchObject({ transient: true });
    expect(classifyEvaluationFailure(new PolicyUnavailableError('not read yet', true))).toMatchObject({
      transient: true,
    });
    expect(classifyEvaluationFailure(new PolicyUnavailableError('invalid', false))).toMatchObject({
      transient: false,
      kind: 'policy',
    });
    expect(classifyEvaluationFailure(new TypeError('x is undefined'))).toMatchObject({
      transient: false,
      kind: 'policy',
    });
  });

  it('looks through a plug-in failure to its cause', () => {
    expect(classifyEvaluationFailure(new PluginFailure('slow', new TimeLimitError('late')))).toMatchObject({
      transient: true,
    });
    expect(classifyEvaluationFailure(new PluginFailure('groups', graphError(403)))).toMatchObject({
      kind: 'forbidden',
    });
    expect(classifyEvaluationFailure(new PluginFailure('buggy', new Error('bug')))).toMatchObject({ kind: 'policy' });
  });

  it('a look-up that failed counts even when the policy threw its own error instead', async () => {
    const network = new TypeError('fetch failed');
    const api = {
      getPrinter: async () => {
        throw network;
      },
      checkMemberGroups: async () => new Set<string>(),
    } as unknown as PrintApi;
    const lookups = evaluationLookups(api, { maxRetryAfterSeconds: 1 });
    await expect(lookups.getPrinter('p')).rejects.toBe(network);
    expect(classifyEvaluationFailure(new Error('printer unavailable'), lookups.failures)).toMatchObject({
      transient: true,
      error: network,
    });
  });

  it('a decision reached although a look-up failed transiently (a fail mode absorbed it) is not acted on', async () => {
    const throttled = graphError(429, '5');
    const api = {
      getPrinter: async () => {
        throw throttled;
      },
      checkMemberGroups: async () => {
        throw graphError(403);
      },
    } as unknown as PrintApi;
    const lookups = evaluationLookups(api, { maxRetryAfterSeconds: 1 });
    await lookups.memberOf('u', ['g']).catch(() => undefined); // refused for good: not a reason to retry
    expect(absorbedTransientFailure(lookups.failures)).toBeUndefined();
    await lookups.getPrinter('p').catch(() => undefined); // throttled, then swallowed by the policy
    expect(absorbedTransientFailure(lookups.failures)).toBe(throttled);
    expect(classifyEvaluationFailure(throttled, lookups.failures)).toMatchObject({ transient: true, error: throttled });
  });

  it('a declarative policy whose source was never read fails transiently; one never valid, permanently', async () => {
    const context = buildPolicyContext({
      job: { id: 'j', status: { state: 'processing' } } as never,
      printerId: 'p',
      tenantId: 't',
      now: new Date(),
      printers: { getPrinter: async () => ({ id: 'p' }) },
    });
    const unread = loadPolicyFromSettings({ RELEASE_GATE_POLICY_FILE: '/nonexistent/policy.json' });
    expect(classifyEvaluationFailure(await unread.decide(context).catch((e: unknown) => e))).toMatchObject({
      transient: true,
    });
    const invalid = loadPolicyFromSettings({ RELEASE_GATE_POLICY_JSON: '{"name":"x","rules":"none"}' });
    expect(classifyEvaluationFailure(await invalid.decide(context).catch((e: unknown) => e))).toMatchObject({
      transient: false,
      kind: 'policy',
    });
  });
});

describe('look-ups for the policy wait out no long Retry-After in-process', () => {
  const response = (retryAfter?: string) =>
    ({ headers: new Headers(retryAfter ? { 'retry-after': retryAfter } : {}) }) as Response;
  it('retries once, and only when Graph asks to wait within the budget', () => {
    const options = boundedRetryOptions(1);
    expect(options.maxRetries).toBe(1);
    const retries = (r: Response) => options.shouldRetry(options.delay, 0, {} as never, {} as never, r);
    expect(retries(response('0.5'))).toBe(true);
    expect(retries(response('5'))).toBe(false);
    expect(retries(response())).toBe(true); // our base delay, 1 s, fits
    expect(boundedRetryOptions(0).maxRetries).toBe(0);
    const tight = boundedRetryOptions(0.5);
    expect(tight.shouldRetry(tight.delay, 0, {} as never, {} as never, response())).toBe(true);
  });
});
