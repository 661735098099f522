/** Where commands print: injectable so tests capture output without spawning a process. */
export interface Output {
  out(text: string): void;
  err(text: string): void;
}

export const processOutput: Output = {
  out: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
  err: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
};

/** `linkgap query ... | head` closes stdout early: that is not an error worth a stack trace. */
export function exitQuietlyOnBrokenPipe(): void {
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
}

/** A plain text table: headers, a rule, right-aligned numbers. */
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
  const body = rows.map((row) => names.map((name) => cell(row[name])));
  const numeric = names.map(
    (name) => rows.length > 0 && rows.every((row) => row[name] === null || typeof row[name] === 'number'),
  );
  const widths = names.map((name, index) =>
    Math.max(name.length, ...body.map((line) => (line[index] ?? '').length)),
  );
  const pad = (text: string, index: number) =>
    numeric[index] ? text.padStart(widths[index] ?? 0) : text.padEnd(widths[index] ?? 0);
  const lines = [
    names.map((name, index) => pad(name, index)).join('  '),
    widths.map((width) => '-'.repeat(width)).join('  '),
    ...body.map((line) => line.map((text, index) => pad(text, index)).join('  ')),
  ];
  return lines.map((line) => line.trimEnd()).join('\n');
}
