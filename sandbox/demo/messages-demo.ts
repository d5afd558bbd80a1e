import type { Sandbox } from '../sandbox';
import type { SimSentMail } from '../simulator/model';

/**
 * "Messages to users" in `npm run demo`: the demo's denials were each posted to the message queue,
 * and the send-message function mailed them through Graph's sendMail from the sender mailbox. Shown
 * from the simulator's outbox: Adele's in English, Megan's in German (her preferredLanguage).
 */
export async function runMessagesDemo(
  sandbox: Sandbox,
  out: (line: string) => void = () => undefined,
): Promise<{ ok: boolean; denials: SimSentMail[] }> {
  const { simulator, host } = sandbox;
  const wanted = ['adele@contoso.example', 'megan@contoso.example'];
  const denial = (mail: SimSentMail) => /^(Not printed|Nicht gedruckt)/.test(mail.subject);
  const deadline = Date.now() + 15_000;
  let denials: SimSentMail[] = [];
  for (;;) {
    await host.queuesIdle();
    const outbox = (await (await fetch(`${simulator.url}/_control/outbox`)).json()) as { value: SimSentMail[] };
    denials = wanted.flatMap((to) => outbox.value.filter((m) => denial(m) && m.to.includes(to)).slice(0, 1));
    if (denials.length === wanted.length || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  for (const mail of denials) {
    out(`  ${mail.from} → ${mail.to.join(', ')}: "${mail.subject}"`);
    for (const line of mail.text.split('\n').filter(Boolean)) out(`    | ${line}`);
  }
  const ok = denials.length === wanted.length;
  if (!ok) out('  EXPECTED a denial mail to each of Adele and Megan');
  return { ok, denials };
}
