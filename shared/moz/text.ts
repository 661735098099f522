/*
 * Text that came from the server is shown to people (terminal, logs, HTML report). Terminal escape
 * sequences in it could rewrite the screen, set the clipboard (OSC 52) or hide a link (OSC 8), so
 * they are removed before the text goes anywhere.
 */

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const HAS_CONTROL_OR_SPACE = /[\u0000-\u0020\u007f-\u009f\u00a0\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

/** The text with escape sequences and control characters removed (shared with the domain's displays). */
export { withoutControlCharacters } from '#domain/printable.ts';

/** True when a value that should be one token (a URL, a host) holds white space or control characters. */
export function hasControlOrSpace(text: string): boolean {
  return HAS_CONTROL_OR_SPACE.test(text);
}

/** At most `max` characters, ending in "..." when cut. */
export function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}
