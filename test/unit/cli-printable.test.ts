import { describe, expect, it } from 'vitest';
import { formatTable, printable } from '../../cli/output.ts';

/** Anything a terminal would act on: C0 controls but newline, DEL, C1 controls, bidi overrides. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
const TERMINAL_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u202a-\u202e\u2066-\u2069]/;

describe('printable', () => {
  it.each([
    ['ESC: clear the screen', '\u001b[2J\u001b[H', '\\x1b[2J\\x1b[H'],
    ['OSC 52: write the clipboard', '\u001b]52;c;ZWNobyBoaQ==\u0007', '\\x1b]52;c;ZWNobyBoaQ==\\x07'],
    [
      'OSC 8: a hyperlink that hides its target',
      '\u001b]8;;https://evil.example\u001b\\click\u001b]8;;\u001b\\',
      '\\x1b]8;;https://evil.example\\x1b\\click\\x1b]8;;\\x1b\\',
    ],
    ['BEL', 'ding\u0007', 'ding\\x07'],
    ['C1 CSI', '\u009b2J', '\\x9b2J'],
    ['NUL and DEL', 'a\u0000b\u007f', 'a\\x00b\\x7f'],
    ['carriage return overwriting the line', 'safe\rEVIL', 'safe\\x0dEVIL'],
    ['bidi override (Trojan Source)', 'user\u202eexe.txt', 'user\\u202eexe.txt'],
    ['bidi isolate', 'a\u2066b\u2069', 'a\\u2066b\\u2069'],
    ['Arabic letter mark (a bidi control)', 'a\u061cb', 'a\\u061cb'],
    ['byte order mark', '\uFEFF{', '\\ufeff{'],
  ])('escapes %s', (_name, input, expected) => {
    const text = printable(input);
    expect(text).toBe(expected);
    expect(text).not.toMatch(TERMINAL_CONTROL);
  });

  it('keeps ordinary text, tabs, new lines and non-ASCII letters', () => {
    expect(printable('Bücher\tcafé\nnext line — ok 😀')).toBe('Bücher\tcafé\nnext line — ok 😀');
  });

  it('escapes new lines and tabs too when asked for one line', () => {
    expect(printable('a\nb\tc', { singleLine: true })).toBe('a\\x0ab\\x09c');
  });
});

describe('formatTable', () => {
  it('escapes control characters in cells and headers, and aligns on the escaped text', () => {
    const table = formatTable([
      { 'ti\u001btle': 'x\u001b]52;c;aGk=\u0007', n: 1 },
      { 'ti\u001btle': 'two\nlines', n: 22 },
    ]);
    expect(table).not.toMatch(TERMINAL_CONTROL);
    const lines = table.split('\n');
    expect(lines).toHaveLength(4);
    const width = 'x\\x1b]52;c;aGk=\\x07'.length;
    expect(lines[0]).toBe(`${'ti\\x1btle'.padEnd(width)}   n`);
    expect(lines[2]).toBe(`${'x\\x1b]52;c;aGk=\\x07'.padEnd(width)}   1`);
    expect(lines[3]).toBe(`${'two\\x0alines'.padEnd(width)}  22`);
  });
});
