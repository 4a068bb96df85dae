import { UNSAFE_NAME_CHARS } from '../shared/api/common.js';

/**
 * What must never reach a terminal from text Parley did not write itself (messages, names,
 * titles, file names, a server's error messages): the characters the server refuses in names
 * (C0 and C1 controls, DEL, bidi overrides and isolates), and the ones it lets through because a
 * browser isolates them but a terminal does not: the bidi marks (U+200E/F, U+061C), and the
 * line and paragraph separators that some terminals take as a new line. U+009B and U+009D alone
 * start a terminal's control and title sequences, as ESC [ and ESC ] do.
 */
const UNSAFE_RUN = new RegExp(`(?:${UNSAFE_NAME_CHARS.source}|[\\u061c\\u200e\\u200f\\u2028\\u2029])+`, 'gu');
const UNSAFE_CHAR = new RegExp(`${UNSAFE_NAME_CHARS.source}|[\\u061c\\u200e\\u200f\\u2028\\u2029]`, 'gu');
const BREAKS_WORDS = /\p{Cc}|[\u2028\u2029]/u;

/**
 * `s` as it may be shown on a terminal: a run of control characters becomes one space (a newline
 * or tab separated words), and the invisible direction marks are dropped (they join nothing).
 */
export function terminalSafe(s: string): string {
  return s.replace(UNSAFE_RUN, (run) => (BREAKS_WORDS.test(run) ? ' ' : ''));
}

/** `s` without any of the characters above (for a file name, where a space would be made up). */
export function withoutUnsafeChars(s: string): string {
  return s.replace(UNSAFE_RUN, '');
}

/**
 * JSON for a terminal or a script: the same value once parsed, with the characters above
 * written as `\uXXXX` escapes. JSON.stringify escapes C0 controls in strings itself (the line
 * breaks left are its own layout), but leaves C1 controls, DEL and bidi marks raw.
 */
export function terminalJson(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(UNSAFE_CHAR, (ch) => (ch < ' ' ? ch : `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`));
}
