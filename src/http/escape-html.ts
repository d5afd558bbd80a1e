const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * Text made safe to put in HTML or XML (SVG), as element content or a quoted attribute value: the
 * five characters with a meaning there become entities. `&#39;` rather than `&apos;`, which older
 * HTML does not know.
 */
export const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => ENTITIES[c]!);
