import type { Decision, PolicyContext, ReleasePolicy } from '../../src/policy/decision';
import { DEMO_PRINTER_IDS } from './demo-printers';

/**
 * The sandbox's demo policy, written as a plug-in module (RELEASE_GATE_POLICY_MODULE), one rule per
 * decision the processor can act on. Same order semantics as a declarative policy: first match wins.
 */
const MB = 1024 * 1024;

export const policy: ReleasePolicy = {
  name: 'sandbox demo policy',
  async decide(context: PolicyContext): Promise<Decision> {
    const { job } = context;
    const name = job.document?.name ?? '';
    if (job.printerId === DEMO_PRINTER_IDS.pullQueue) {
      return {
        action: 'hold',
        rule: 'pull queue: hold for release at a printer',
        expiresInMinutes: 24 * 60,
        onExpiry: 'deny',
      };
    }
    if (job.printerId === DEMO_PRINTER_IDS.hr) {
      return {
        action: 'hold',
        rule: 'confidential printer: hold',
        expiresInMinutes: 60,
        onExpiry: 'deny',
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
    if (/\.student@/i.test(job.owner.userPrincipalName ?? '')) {
      return {
        action: 'release-with-changes',
        rule: 'students: grayscale, duplex',
        changes: { colorMode: 'grayscale', duplexMode: 'flipOnLongEdge' },
      };
    }
    if ((job.configuration.copies ?? 1) > 5) {
      return { action: 'release-with-changes', rule: 'at most 5 copies', changes: { copies: 5 } };
    }
    return { action: 'release', rule: 'everything else' };
  },
};
