/*
 * Text shown to people (terminal, logs, HTML report, digest) may come from the Moz API or a stored
 * config. Terminal escape sequences in it could rewrite the screen, set the clipboard (OSC 52) or hide
 * a link (OSC 8), and bidi controls reorder what a reader sees, so they are removed before it is shown.
 */

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching escape sequences is the point.
const OSC_SEQUENCE = /\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\|$)/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching escape sequences is the point.
const CSI_SEQUENCE = /\u001b\[[0-?]*[ -/]*[@-~]?/g;
/** The bidirectional marks (U+061C, U+200E, U+200F), embeddings, overrides and isolates. */
export const BIDI_CONTROL = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
/** Unicode's line and paragraph separators: line breaks that are not control characters. */
export const LINE_SEPARATOR = /[\u2028\u2029]/;
/** C0 and C1 controls and DEL. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
export const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f]/;
const CONTROL_OR_BIDI = new RegExp(`${CONTROL_CHARACTER.source}|${BIDI_CONTROL.source}`, 'g');

/** The text with escape sequences and control characters removed (line breaks and tabs become spaces). */
export function withoutControlCharacters(text: string): string {
  return text
    .replace(OSC_SEQUENCE, '')
    .replace(CSI_SEQUENCE, '')
    .replace(/[\t\n\r\u2028\u2029]/g, ' ')
    .replace(CONTROL_OR_BIDI, '');
}
