import { MESSAGE_KIND_NAMES, type UserMessage } from '../../../src/messages/message-model';
import { messageLanguage, renderMessage } from '../../../src/messages/templates';

const base: UserMessage = {
  version: 1,
  kind: 'held',
  id: 't:held',
  to: { id: 'u1' },
  documentName: 'Plan <b>&</b> "budget".pdf',
  printerName: 'Floor 1 colour',
  reason: 'Colour needs a release.',
  expiresAt: '2026-12-03T18:30:00Z',
  releaseUrl: 'https://rg.example/api/release',
  keepUrl: 'https://rg.example/api/release?keep=t',
  quota: { name: 'Students', state: 'near', used: 85, limit: 100, unit: 'pages', period: 'December' },
  correlationId: 'c',
  createdAt: '2026-12-03T06:00:00Z',
};

describe('message templates', () => {
  it('pick the language from preferredLanguage, English otherwise', () => {
    expect(messageLanguage('de-DE')).toBe('de');
    expect(messageLanguage('de')).toBe('de');
    expect(messageLanguage('fr-FR')).toBe('en');
    expect(messageLanguage(null)).toBe('en');
  });

  it.each(MESSAGE_KIND_NAMES.flatMap((kind) => [[kind, 'en-GB'] as const, [kind, 'de-DE'] as const]))(
    '%s in %s: a subject, text and escaped HTML',
    (kind, preferredLanguage) => {
      const out = renderMessage({ ...base, kind }, { displayName: 'Megan', preferredLanguage });
      expect(out.subject.length).toBeGreaterThan(5);
      expect(out.subject).not.toMatch(/[\r\n]/);
      expect(out.text).toContain('Megan');
      expect(out.html).not.toContain('<b>');
      if (kind !== 'quota') expect(out.html).toContain('Plan &lt;b&gt;&amp;&lt;/b&gt; &quot;budget&quot;.pdf');
    },
  );

  it('write in German for a German reader, with the time in German format', () => {
    const out = renderMessage(base, { preferredLanguage: 'de-DE' });
    expect(out.language).toBe('de');
    expect(out.text).toMatch(/03\.12\.2026/);
    const en = renderMessage({ ...base, kind: 'denied' }, { preferredLanguage: 'en-US' });
    expect(en.language).toBe('en');
    expect(en.text).toContain('Colour needs a release.');
  });

  it('link the release page from a held message and the keep link from a warning', () => {
    expect(renderMessage(base, {}).html).toContain('href="https://rg.example/api/release"');
    expect(renderMessage({ ...base, kind: 'expiry-warning' }, {}).html).toContain(
      'href="https://rg.example/api/release?keep=t"',
    );
  });
});
