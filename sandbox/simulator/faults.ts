import { randomUUID } from 'node:crypto';

/**
 * Fault injection on Graph routes: added latency, an error status (429 with Retry-After, 503, …)
 * or a dropped connection, for a number of requests or at random.
 */
export interface FaultRule {
  id: string;
  /** HTTP method to match; any when absent. */
  method?: string;
  /** Regular expression matched against the path after /v1.0 (e.g. "/print/printers/.*\/jobs/.*"). */
  path: string;
  latencyMs?: number;
  status?: number;
  /** Retry-After header value in seconds (fractional allowed, as Graph sends). */
  retryAfter?: number;
  /** Destroy the connection without an answer. */
  drop?: boolean;
  /** How many matching requests it applies to; unlimited when absent. */
  times?: number;
  /** Chance (0..1) that a matching request is affected. */
  probability?: number;
  hits: number;
}

export type FaultInput = Omit<FaultRule, 'id' | 'hits'>;

export class Faults {
  private rules: FaultRule[] = [];

  add(input: FaultInput): FaultRule {
    new RegExp(input.path); // fail early on a bad pattern
    const rule: FaultRule = { ...input, id: randomUUID(), hits: 0 };
    this.rules.push(rule);
    return rule;
  }

  clear(): void {
    this.rules = [];
  }

  /** Removes one rule; false when no rule has that id. */
  remove(id: string): boolean {
    const before = this.rules.length;
    this.rules = this.rules.filter((rule) => rule.id !== id);
    return this.rules.length < before;
  }

  get(id: string): FaultRule | undefined {
    return this.rules.find((rule) => rule.id === id);
  }

  list(): FaultRule[] {
    return this.rules;
  }

  /** The faults to apply to one request, counting them against their `times`. */
  match(method: string, path: string, random: () => number = Math.random): FaultRule[] {
    const matched: FaultRule[] = [];
    for (const rule of this.rules) {
      if (rule.method && rule.method.toUpperCase() !== method.toUpperCase()) continue;
      if (!new RegExp(rule.path).test(path)) continue;
      if (rule.times !== undefined && rule.hits >= rule.times) continue;
      if (rule.probability !== undefined && random() >= rule.probability) continue;
      rule.hits++;
      matched.push(rule);
    }
    return matched;
  }
}
