import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { describeEnvIssues, httpUrlVariable, parseEnv, requiredVariable } from '#shared/env.ts';

class ExampleConfigError extends Error {
  override name = 'ExampleConfigError';
}

const ExampleEnv = z.object({
  TABLE: requiredVariable('TABLE'),
  ENDPOINT: httpUrlVariable('ENDPOINT'),
  BASE_URL: httpUrlVariable('BASE_URL', 'https://example.com'),
  RETRIES: z.coerce.number().int().positive().default(3),
});

const parse = (env: Record<string, string | undefined>) =>
  parseEnv(ExampleEnv, env, (detail) => new ExampleConfigError(`invalid example env: ${detail}`));

describe('env parsing helpers (shared/env.ts)', () => {
  it('parses a good env and applies defaults, treating blanks as unset', () => {
    expect(parse({ TABLE: 't', ENDPOINT: 'http://127.0.0.1:1', BASE_URL: '  ' })).toEqual({
      TABLE: 't',
      ENDPOINT: 'http://127.0.0.1:1',
      BASE_URL: 'https://example.com',
      RETRIES: 3,
    });
  });

  it.each([
    [{ ENDPOINT: 'http://x' }, 'invalid example env: TABLE is not set'],
    [{ TABLE: ' ', ENDPOINT: 'http://x' }, 'invalid example env: TABLE is not set'],
    [{ TABLE: 't' }, 'invalid example env: ENDPOINT is not set'],
    [{ TABLE: 't', ENDPOINT: 'ftp://x' }, 'invalid example env: ENDPOINT must be an http(s) URL'],
    [{ TABLE: 't', ENDPOINT: 'http://x', BASE_URL: 'nope' }, 'BASE_URL must be an http(s) URL'],
  ])('names the variable at fault in %o', (env, message) => {
    expect(() => parse(env)).toThrow(ExampleConfigError);
    expect(() => parse(env)).toThrow(message);
  });

  it('lists every bad variable on one line, prefixing only messages that do not name it', () => {
    expect(() => parse({ ENDPOINT: 'ftp://SEKRET', RETRIES: '-2' })).toThrow(
      /^invalid example env: TABLE is not set; ENDPOINT must be an http\(s\) URL; RETRIES: \S.*$/,
    );
  });

  it('never echoes a value', () => {
    const result = ExampleEnv.safeParse({ TABLE: 't', ENDPOINT: 'https://user:SEKRET@', RETRIES: 'SEKRET' });
    expect(result.success).toBe(false);
    if (!result.success) expect(describeEnvIssues(result.error)).not.toContain('SEKRET');
  });
});
