import { escapeHtml } from '../http/escape-html';
import type { UserMessage } from './message-model';

/** The languages messages are written in; any other preferredLanguage gets English. */
export const MESSAGE_LANGUAGES = ['en', 'de'] as const;
export type MessageLanguage = (typeof MESSAGE_LANGUAGES)[number];

/** Graph's preferredLanguage (e.g. `de-DE`, `en-US`, null) as one of ours; English when we have none for it. */
export function messageLanguage(preferred: string | null | undefined): MessageLanguage {
  const base = preferred?.trim().toLowerCase().split(/[-_]/)[0];
  return (MESSAGE_LANGUAGES as readonly string[]).includes(base ?? '') ? (base as MessageLanguage) : 'en';
}

export interface RenderedMessage {
  subject: string;
  text: string;
  html: string;
}

/** One paragraph or a link, before it is written as text or as HTML. */
type Part = { p: string } | { link: string; href: string };

interface Words {
  greeting(name: string | undefined): string;
  document(name: string | undefined): string;
  printer(name: string | undefined): string;
  when(iso: string): string;
  denied(m: UserMessage): { subject: string; parts: Part[] };
  held(m: UserMessage): { subject: string; parts: Part[] };
  expired(m: UserMessage): { subject: string; parts: Part[] };
  deleted(m: UserMessage): { subject: string; parts: Part[] };
  'expiry-warning'(m: UserMessage): { subject: string; parts: Part[] };
  quota(m: UserMessage): { subject: string; parts: Part[] };
  signature: string;
}

const link = (text: string, href: string | undefined): Part[] => (href ? [{ link: text, href }] : []);
const reasonPart = (label: string, reason: string | undefined): Part[] =>
  reason ? [{ p: `${label}: ${reason}` }] : [];

function words(language: MessageLanguage, timeZone: string): Words {
  // dateStyle cannot be combined with timeZoneName: the fields are spelled out instead.
  const format = new Intl.DateTimeFormat(language === 'de' ? 'de-DE' : 'en-GB', {
    day: '2-digit',
    month: '2-digit',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    timeZone,
    timeZoneName: 'short',
  });
  const when = (iso: string) => format.format(new Date(iso));
  const amount = (n: number) => n.toLocaleString(language === 'de' ? 'de-DE' : 'en-GB');
  if (language === 'de') {
    const document = (name: string | undefined) => (name ? `„${name}“` : 'Ihr Druckauftrag');
    const printer = (name: string | undefined) => (name ? ` auf ${name}` : '');
    return {
      greeting: (name) => (name ? `Hallo ${name},` : 'Hallo,'),
      document,
      printer,
      when,
      denied: (m) => ({
        subject: `Nicht gedruckt: ${m.documentName ?? 'Ihr Druckauftrag'}`,
        parts: [
          { p: `${document(m.documentName)}${printer(m.printerName)} wurde nicht gedruckt.` },
          ...reasonPart('Grund', m.reason),
        ],
      }),
      held: (m) => ({
        subject: `Wartet auf Freigabe: ${m.documentName ?? 'Ihr Druckauftrag'}`,
        parts: [
          {
            p:
              `${document(m.documentName)}${printer(m.printerName)} wird zurückgehalten, bis Sie ihn freigeben` +
              (m.expiresAt ? ` (bis ${when(m.expiresAt)}).` : '.'),
          },
          ...link('Zur Freigabeseite', m.releaseUrl),
        ],
      }),
      expired: (m) => ({
        subject: `Abgelaufen: ${m.documentName ?? 'Ihr Druckauftrag'}`,
        parts: [
          { p: `${document(m.documentName)}${printer(m.printerName)} wurde nicht rechtzeitig freigegeben.` },
          ...reasonPart('Was geschah', m.reason),
        ],
      }),
      deleted: (m) => ({
        subject: `Gelöscht: ${m.documentName ?? 'Ihr Druckauftrag'}`,
        parts: [
          { p: `${document(m.documentName)}${printer(m.printerName)} wurde von Universal Print gelöscht.` },
          ...reasonPart('Was geschah', m.reason),
        ],
      }),
      'expiry-warning': (m) => ({
        subject: `Läuft bald ab: ${m.documentName ?? 'Ihr Druckauftrag'}`,
        parts: [
          {
            p:
              `${document(m.documentName)}${printer(m.printerName)} wartet noch auf Freigabe` +
              (m.expiresAt ? ` und läuft am ${when(m.expiresAt)} ab.` : ' und läuft bald ab.'),
          },
          ...link('Länger aufbewahren', m.keepUrl),
          ...link('Zur Freigabeseite', m.releaseUrl),
        ],
      }),
      quota: (m) => ({
        subject:
          m.quota?.state === 'reached'
            ? `Druckkontingent aufgebraucht: ${m.quota.name}`
            : `Druckkontingent fast aufgebraucht: ${m.quota?.name ?? ''}`,
        parts: m.quota
          ? [
              {
                p:
                  `Sie haben ${amount(m.quota.used)} von ${amount(m.quota.limit)} ${m.quota.unit} ` +
                  `des Kontingents „${m.quota.name}“ verbraucht${m.quota.period ? ` (${m.quota.period})` : ''}.`,
              },
            ]
          : [],
      }),
      signature: 'Diese Nachricht wurde von Release Gate automatisch gesendet.',
    };
  }
  const document = (name: string | undefined) => (name ? `"${name}"` : 'Your print job');
  const printer = (name: string | undefined) => (name ? ` on ${name}` : '');
  return {
    greeting: (name) => (name ? `Hello ${name},` : 'Hello,'),
    document,
    printer,
    when,
    denied: (m) => ({
      subject: `Not printed: ${m.documentName ?? 'your print job'}`,
      parts: [
        { p: `${document(m.documentName)}${printer(m.printerName)} was not printed.` },
        ...reasonPart('Reason', m.reason),
      ],
    }),
    held: (m) => ({
      subject: `Waiting for you: ${m.documentName ?? 'your print job'}`,
      parts: [
        {
          p:
            `${document(m.documentName)}${printer(m.printerName)} is held until you release it` +
            (m.expiresAt ? ` (until ${when(m.expiresAt)}).` : '.'),
        },
        ...link('Open the release page', m.releaseUrl),
      ],
    }),
    expired: (m) => ({
      subject: `Expired: ${m.documentName ?? 'your print job'}`,
      parts: [
        { p: `${document(m.documentName)}${printer(m.printerName)} was not released in time.` },
        ...reasonPart('What happened', m.reason),
      ],
    }),
    deleted: (m) => ({
      subject: `Deleted: ${m.documentName ?? 'your print job'}`,
      parts: [
        { p: `${document(m.documentName)}${printer(m.printerName)} was deleted by Universal Print.` },
        ...reasonPart('What happened', m.reason),
      ],
    }),
    'expiry-warning': (m) => ({
      subject: `Expiring soon: ${m.documentName ?? 'your print job'}`,
      parts: [
        {
          p:
            `${document(m.documentName)}${printer(m.printerName)} is still waiting to be released` +
            (m.expiresAt ? ` and expires at ${when(m.expiresAt)}.` : ' and expires soon.'),
        },
        ...link('Keep it longer', m.keepUrl),
        ...link('Open the release page', m.releaseUrl),
      ],
    }),
    quota: (m) => ({
      subject:
        m.quota?.state === 'reached'
          ? `Print quota reached: ${m.quota.name}`
          : `Print quota nearly used: ${m.quota?.name ?? ''}`,
      parts: m.quota
        ? [
            {
              p:
                `You have used ${amount(m.quota.used)} of ${amount(m.quota.limit)} ${m.quota.unit} ` +
                `of the quota "${m.quota.name}"${m.quota.period ? ` (${m.quota.period})` : ''}.`,
            },
          ]
        : [],
    }),
    signature: 'This message was sent automatically by Release Gate.',
  };
}

/**
 * A message in the recipient's language: subject, plain text and simple HTML, every value from the
 * message escaped in the HTML. It says only what the message carries (the document's name, the
 * printer's, the reason, times, links), never anything of the document's content.
 */
export function renderMessage(
  message: UserMessage,
  recipient: { displayName?: string | null; preferredLanguage?: string | null },
  options: { timeZone?: string } = {},
): RenderedMessage & { language: MessageLanguage } {
  const language = messageLanguage(recipient.preferredLanguage);
  const w = words(language, options.timeZone ?? 'UTC');
  const { subject, parts } = w[message.kind](message);
  const all: Part[] = [{ p: w.greeting(recipient.displayName ?? undefined) }, ...parts, { p: w.signature }];
  const text = all.map((part) => ('p' in part ? part.p : `${part.link}: ${part.href}`)).join('\n\n');
  const html =
    `<html><body>` +
    all
      .map((part) =>
        'p' in part
          ? `<p>${escapeHtml(part.p)}</p>`
          : `<p><a href="${escapeHtml(part.href)}">${escapeHtml(part.link)}</a></p>`,
      )
      .join('') +
    `</body></html>`;
  return { subject: subject.replace(/[\r\n]+/g, ' ').slice(0, 255), text, html, language };
}
