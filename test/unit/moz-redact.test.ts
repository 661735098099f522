import { Buffer } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import { errorMessageOf, redact, secretsOf } from '#moz/http.ts';
import { withoutControlCharacters } from '#moz/text.ts';

const TOKEN = 'mozTok-9f8e7d6c5b4a/+=&<xyz';

/** Every way the token could be echoed back, alone or inside a longer value. */
const echoes = (secret: string): Record<string, string> => ({
  verbatim: `bad token ${secret}.`,
  base64: `header was ${Buffer.from(secret).toString('base64')}`,
  base64url: `header was ${Buffer.from(secret).toString('base64url')}`,
  'base64 of a header line (offset 1)': Buffer.from(`x-moz-token: ${secret}`).toString('base64'),
  'base64 of a header line (offset 2)': Buffer.from(`{"x-moz-token":"${secret}"}`).toString('base64'),
  'base64 of a header line (offset 0)': Buffer.from(`tok${secret}!`).toString('base64'),
  percent: `?token=${encodeURIComponent(secret)}`,
  'percent, lower case': `?token=${encodeURIComponent(secret).replace(/%[0-9A-F]{2}/g, (c) => c.toLowerCase())}`,
  json: JSON.stringify({ headers: { 'x-moz-token': secret } }),
  'json, slashes escaped': JSON.stringify({ t: secret }).replaceAll('/', '\\/'),
  html: `<p>${secret.replaceAll('&', '&amp;').replaceAll('<', '&lt;')}</p>`,
});

describe('redact with secretsOf: a token in every encoding a server might echo', () => {
  it.each(Object.entries(echoes(TOKEN)))('%s', (_encoding, text) => {
    const out = redact(text, secretsOf({ kind: 'token', token: TOKEN }));
    expect(out).toContain('[redacted]');
    for (const leak of Object.values(fragmentsOf(TOKEN))) expect(out).not.toContain(leak);
  });

  it('Basic credentials: the key, the pair and its base64', () => {
    const credentials = { kind: 'basic', accessId: 'acc-id-42', secretKey: 'sk-0123456789abcdef' } as const;
    const pair = Buffer.from('acc-id-42:sk-0123456789abcdef').toString('base64');
    const out = redact(`Authorization: Basic ${pair}; key sk-0123456789abcdef`, secretsOf(credentials));
    expect(out).not.toContain(pair);
    expect(out).not.toContain('sk-0123456789abcdef');
  });

  it('an x-moz-token header it was not told about', () => {
    expect(redact('got x-moz-token: abcdef123456 from you', [])).toBe('got x-moz-token: [redacted] from you');
    expect(redact('{"x-moz-token":"abcdef123456"}', [])).toBe('{"x-moz-token":"[redacted]"}');
  });

  it('a long error body is redacted before it is cut, so no tail of the token survives', () => {
    const body = JSON.stringify({ message: `${'x'.repeat(490)} ${TOKEN}` });
    const message = errorMessageOf(redact(body, secretsOf({ kind: 'token', token: TOKEN })));
    expect(message).not.toContain(TOKEN.slice(0, 6));
  });
});

describe('withoutControlCharacters', () => {
  it.each([
    ['OSC 52 clipboard', 'a\u001b]52;c;ZXZpbA==\u0007b', 'ab'],
    ['OSC 8 hyperlink', '\u001b]8;;https://evil.example\u001b\\click\u001b]8;;\u001b\\', 'click'],
    ['clear screen', 'x\u001b[2Jy', 'xy'],
    ['colour', '\u001b[31mred\u001b[0m', 'red'],
    ['BEL and NUL', 'a\u0007b\u0000c', 'abc'],
    ['bidi override', 'abc\u202edef', 'abcdef'],
    ['line breaks become spaces', 'one\ntwo\r\nthree', 'one two  three'],
  ])('%s', (_name, input, expected) => {
    expect(withoutControlCharacters(input)).toBe(expected);
  });
});

/** Substrings that must not survive: the token itself and the distinctive middle of its encodings. */
function fragmentsOf(secret: string): Record<string, string> {
  const b64 = Buffer.from(secret).toString('base64');
  return {
    verbatim: secret,
    base64: b64.slice(4, -4),
    base64url: Buffer.from(secret).toString('base64url').slice(4, -4),
    percent: encodeURIComponent(secret),
    middle: secret.slice(3, -3),
  };
}

describe('redact: a secret spelled with HTML character references', () => {
  const token = 'sekret-XYZ-123';
  const secrets = secretsOf({ kind: 'token', token });
  it.each([
    ['decimal', 'sekret&#45;XYZ&#45;123'],
    ['hex, leading zeros', 'sekret&#x002D;XYZ&#X2d;123'],
    ['decimal, leading zeros, no semicolon', 'sekret&#00045XYZ&#045123'],
    ['every character', [...token].map((c) => `&#${c.charCodeAt(0)};`).join('')],
    ['JSON \\u escapes', 'sekret\\u002dXYZ\\u002D123'],
  ])('%s', (_form, echoed) => {
    const out = redact(`invalid token ${echoed} (html)`, secrets);
    expect(out).toBe('invalid token [redacted] (html)');
  });

  it('named references for the punctuation of a longer token', () => {
    const tok = 'ab:cd/ef=gh+ij&kl';
    const out = redact(
      't=ab&colon;cd&sol;ef&equals;gh&plus;ij&amp;kl.',
      secretsOf({ kind: 'token', token: tok }),
    );
    expect(out).toBe('t=[redacted].');
  });
});
