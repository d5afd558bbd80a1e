import type { Decision, PolicyContext, ReleasePolicy } from '../../src/policy/decision';
import type { QuotaDefinition } from '../../src/quota/quota-model';
import { demoSchoolTerm } from '../simulator/demo-tenant';
import { DEMO_PRINTER_IDS } from './demo-printers';

/**
 * The sandbox's demo policy, written as a plug-in module (RELEASE_GATE_POLICY_MODULE), one rule per
 * decision the processor can act on. Same order semantics as a declarative policy: first match wins.
 * It declares a quota, as any code plug-in may: students print 5 colour copies in the school term.
 */
const MB = 1024 * 1024;

/**
 * Students by their UPN, as the student rule below knows them (a UPN pattern needs no Graph call;
 * a quota for a group would cost every job a membership look-up).
 */
export const STUDENT_COLOUR_QUOTA: QuotaDefinition = {
  name: 'student-colour',
  measure: 'colorCopies',
  limit: 5,
  period: { terms: [demoSchoolTerm()] },
  users: ['*.student@contoso.example'],
};

const isStudent = (upn: string | undefined) => /\.student@/i.test(upn ?? '');

export const policy: ReleasePolicy = {
  name: 'sandbox demo policy',
  quotas: { definitions: [STUDENT_COLOUR_QUOTA], timeZone: 'Europe/London' },
  async decide(context: PolicyContext): Promise<Decision> {
    const { job } = context;
    const name = job.document?.name ?? '';
    // First, so a student over the quota is told wherever they print (a pull queue too); black and white costs none.
    if (isStudent(job.owner.userPrincipalName)) {
      const colour = await context.quota(STUDENT_COLOUR_QUOTA.name);
      if (colour && colour.cost > 0 && colour.wouldExceed)
        return {
          action: 'deny',
          rule: 'students: colour quota',
          reason:
            `You have used ${colour.used} of ${colour.limit} colour copies ${colour.period.label}` +
            (colour.reached ? '' : ` and this job needs ${colour.cost}`) +
            '; black-and-white printing is still open.',
        };
    }
    if (job.printerId === DEMO_PRINTER_IDS.pullQueue) {
      return {
        action: 'hold',
        rule: 'pull queue: hold for release at a printer',
        expiresInMinutes: 24 * 60,
        keepLongerUpToMinutes: 3 * 24 * 60, // "keep longer" adds a day at a time, up to 3 days
        onExpiry: 'deny',
      };
    }
    if (job.printerId === DEMO_PRINTER_IDS.hr) {
      return {
        action: 'hold',
        rule: 'confidential printer: hold',
        expiresInMinutes: 60,
        onExpiry: 'deny',
        delegation: false, // only its owner may release it: no delegates, no hand-over
        releaseAt: [DEMO_PRINTER_IDS.hr], // a confidential job never comes out anywhere else
        reason: 'Release it at the HR printer.',
      };
    }
    if (/confidential/i.test(name)) {
      return {
        action: 'deny',
        rule: 'confidential documents',
        reason: 'Confidential documents print only on the HR printer.',
      };
    }
    if ((job.document?.sizeBytes ?? 0) > 20 * MB) {
      return { action: 'deny', rule: 'large documents', reason: 'Documents over 20 MB cannot be printed.' };
    }
    if (job.printerId === DEMO_PRINTER_IDS.floor2Mono && job.configuration.colorMode === 'color') {
      return {
        action: 'redirect',
        rule: 'colour jobs go to a colour printer',
        printerId: DEMO_PRINTER_IDS.floor1Color,
      };
    }
    if (isStudent(job.owner.userPrincipalName)) {
      return { action: 'release-with-changes', rule: 'students: two-sided', changes: { duplexMode: 'flipOnLongEdge' } };
    }
    if ((job.configuration.copies ?? 1) > 5) {
      return { action: 'release-with-changes', rule: 'at most 5 copies', changes: { copies: 5 } };
    }
    return { action: 'release', rule: 'everything else' };
  },
};
