/**
 * Splits message text into plain text and http(s) links, so the UI can render links as anchors
 * without ever treating a message as HTML.
 */
export type TextPart = { kind: 'text'; text: string } | { kind: 'link'; text: string; href: string };

const URL_RE = /\bhttps?:\/\/[^\s<>"'`]+/gi;
// Sentence punctuation right after a link belongs to the sentence, not the URL.
const TRAILING_CHARS = new Set(['.', ',', ';', ':', '!', '?', "'", '"', ']', '}', '>']);

function count(s: string, ch: string): number {
  let n = 0;
  for (const c of s) if (c === ch) n++;
  return n;
}

function trimTrailing(url: string): string {
  let out = url;
  while (out.length > 0) {
    const last = out[out.length - 1]!;
    if (TRAILING_CHARS.has(last)) out = out.slice(0, -1);
    // A closing parenthesis stays when it closes one opened inside the URL (Wikipedia-style).
    else if (last === ')' && count(out, '(') < count(out, ')')) out = out.slice(0, -1);
    else break;
  }
  return out;
}

function safeHref(candidate: string): string | null {
  try {
    const u = new URL(candidate);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return null;
    if (!u.hostname) return null;
    return u.href;
  } catch {
    return null;
  }
}

/**
 * Direction overrides, embeddings and isolates (U+202A–U+202E, U+2066–U+2069) let a message show
 * text in another order than it is: a link reading "https://your-bank.com" that goes elsewhere,
 * "invoice.pdf" that is "fdp.exe". They are left out of what is shown (names and titles refuse
 * them); the marks U+200E/U+200F, which only hint a direction, stay.
 */
const BIDI_CONTROLS = /[\u202a-\u202e\u2066-\u2069]/g;

export function withoutBidiControls(text: string): string {
  return text.replace(BIDI_CONTROLS, '');
}

/** Lines with nothing on them at the start and end go; the indentation of the first line stays. */
export function trimBlankLines(text: string): string {
  return text.replace(/^(?:[ \t]*\r?\n)+/, '').trimEnd();
}

export function splitLinks(input: string): TextPart[] {
  const text = withoutBidiControls(input);
  const parts: TextPart[] = [];
  let last = 0;
  const push = (t: string) => {
    if (!t) return;
    const prev = parts[parts.length - 1];
    if (prev && prev.kind === 'text') prev.text += t;
    else parts.push({ kind: 'text', text: t });
  };
  for (const m of text.matchAll(URL_RE)) {
    const start = m.index;
    const raw = trimTrailing(m[0]);
    const href = safeHref(raw);
    push(text.slice(last, start));
    if (href) parts.push({ kind: 'link', text: raw, href });
    else push(raw);
    last = start + raw.length;
  }
  push(text.slice(last));
  return parts;
}
