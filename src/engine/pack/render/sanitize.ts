/**
 * Neutralizing repository text before it reaches the model (bad-inputs.md, RP 5).
 *
 * Characters a reader cannot see but a model reads (Unicode tag characters, bidirectional
 * overrides and isolates, zero-width characters, invisible variation selectors from the
 * supplementary plane, C0/C1 controls other than tab and newline) are replaced by a visible
 * `⟦U+XXXX⟧` marker, so hidden instructions become visible text and "Trojan Source" reordering
 * cannot change what code appears to say. Ordinary text is returned unchanged (the same string
 * object), which keeps the common case free.
 */
const INVISIBLE =
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u00ad\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0e\ufeff\uffa0\ufff0-\ufffb]|\udb40[\udc00-\uddef]/g;

export function neutralize(text: string): string {
  INVISIBLE.lastIndex = 0;
  if (!INVISIBLE.test(text)) return text;
  INVISIBLE.lastIndex = 0;
  return text.replace(
    INVISIBLE,
    (ch) => `⟦U+${(ch.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}⟧`,
  );
}

/** A path or symbol as a double-quoted attribute value: no quote, angle bracket or line break can end it early. */
export function attribute(value: string): string {
  return neutralize(value).replace(/[&"<>\n]/g, (c) =>
    c === '&' ? '&amp;' : c === '"' ? '&quot;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : ' ',
  );
}
