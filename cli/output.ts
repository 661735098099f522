/** Where commands print: injectable so tests capture output without spawning a process. */
export interface Output {
  out(text: string): void;
  err(text: string): void;
}

/**
 * Characters a terminal acts on instead of showing: C0 controls (ESC starts clipboard writes, OSC 8
 * hyperlinks that hide their target, screen clearing; BEL; CR overwrites the line), DEL, C1 controls
 * (U+009B is a one-byte CSI), and invisible characters that reorder or hide text: bidi overrides and
 * isolates (Trojan Source), zero-width marks, line separators, the byte order mark.
 */
const UNPRINTABLE =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060\u2066-\u2069\ufeff]/g;
/** The same, plus new line and tab: a table cell must stay on its line and in its column. */
const UNPRINTABLE_IN_A_CELL = new RegExp(`${UNPRINTABLE.source.slice(0, -1)}\\t\\n]`, 'g');

const escapeCharacter = (character: string): string => {
  const code = character.charCodeAt(0);
  return code <= 0xff
    ? `\\x${code.toString(16).padStart(2, '0')}`
    : `\\u${code.toString(16).padStart(4, '0')}`;
};

/**
 * Text safe to show a person in a terminal: every control or invisible character becomes a visible
 * escape (`\x1b`, `\u202e`), so text from the Moz API, a lake file or a hand-edited config can neither
 * drive the terminal nor hide from the reader. New lines and tabs stay unless `singleLine` (a table
 * cell). For human output only: CSV and JSON are data and are written as they are.
 */
export function printable(text: string, options: { singleLine?: boolean } = {}): string {
  return text.replace(options.singleLine ? UNPRINTABLE_IN_A_CELL : UNPRINTABLE, escapeCharacter);
}

/** The same output with every line made {@link printable}: what commands print for people. */
export function humanOutput(output: Output): Output {
  return {
    out: (text) => output.out(printable(text)),
    err: (text) => output.err(printable(text)),
  };
}

export const processOutput: Output = {
  out: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
  // stderr carries only messages for people (errors, warnings, --verbose JSON logs, whose escapes
  // stay valid JSON), so it is always made printable; main's error line goes through here too.
  err: (text) => {
    const safe = printable(text);
    process.stderr.write(safe.endsWith('\n') ? safe : `${safe}\n`);
  },
};

/** `linkgap query ... | head` closes stdout early: that is not an error worth a stack trace. */
export function exitQuietlyOnBrokenPipe(): void {
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
}

/** A plain text table: headers, a rule, right-aligned numbers. Every cell is made printable. */
export function formatTable(rows: readonly Record<string, unknown>[], columns?: readonly string[]): string {
  const names = columns ?? [...new Set(rows.flatMap((row) => Object.keys(row)))];
  if (names.length === 0) return '(no rows)';
  const cell = (value: unknown): string => {
    if (value === null || value === undefined) return '';
    if (Array.isArray(value)) return value.map(cell).join('; ');
    if (typeof value === 'number')
      return Number.isInteger(value) ? String(value) : String(Number(value.toFixed(3)));
    if (value instanceof Date) return value.toISOString();
    if (typeof value === 'object') return JSON.stringify(value);
    return String(value);
  };
  const headers = names.map((name) => printable(name, { singleLine: true }));
  const body = rows.map((row) => names.map((name) => printable(cell(row[name]), { singleLine: true })));
  const numeric = names.map(
    (name) => rows.length > 0 && rows.every((row) => row[name] === null || typeof row[name] === 'number'),
  );
  const widths = headers.map((header, index) =>
    Math.max(header.length, ...body.map((line) => (line[index] ?? '').length)),
  );
  const pad = (text: string, index: number) =>
    numeric[index] ? text.padStart(widths[index] ?? 0) : text.padEnd(widths[index] ?? 0);
  const lines = [
    headers.map((header, index) => pad(header, index)).join('  '),
    widths.map((width) => '-'.repeat(width)).join('  '),
    ...body.map((line) => line.map((text, index) => pad(text, index)).join('  ')),
  ];
  return lines.map((line) => line.trimEnd()).join('\n');
}
