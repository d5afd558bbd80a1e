import { escapeHtml } from '../../../src/http/escape-html';

describe('escapeHtml', () => {
  it('turns the five markup characters into entities', () => {
    expect(escapeHtml(`<a href="x" title='y'>Tom & Jerry</a>`)).toBe(
      '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;Tom &amp; Jerry&lt;/a&gt;',
    );
  });

  it('leaves other text alone, and escapes an entity again rather than trusting it', () => {
    expect(escapeHtml('Drucker Zürich 3. OG / Raum 12')).toBe('Drucker Zürich 3. OG / Raum 12');
    expect(escapeHtml('&amp;')).toBe('&amp;amp;');
  });
});
