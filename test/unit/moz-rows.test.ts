import { describe, expect, it } from 'vitest';
import { admitRow, MAX_SOURCE_PAGES_PER_ROW, MAX_TITLE_LENGTH } from '#moz/rows.ts';
import { withoutControlCharacters } from '#moz/text.ts';
import { RawIntersectResponse, type RawIntersectRow } from '#moz/types.ts';

const aRawRow = (overrides: Record<string, unknown> = {}): RawIntersectRow => {
  const parsed = RawIntersectResponse.parse({
    results: [
      {
        page: 'blog.example/post',
        title: 'A post',
        domain_authority: 40,
        spam_score: 3,
        matching_target_indexes: [0, 1],
        ...overrides,
      },
    ],
  });
  const row = parsed.results?.[0];
  if (row === undefined) throw new Error('no row');
  return row;
};

describe('admitRow: values the Moz schema allows but the lake contract does not are dropped', () => {
  it.each([
    ['DA 150', { domain_authority: 150 }, /domain_authority 150 is not an integer from 1 to 100/],
    ['DA 37.5', { domain_authority: 37.5 }, /domain_authority 37.5/],
    ['DA 0', { domain_authority: 0 }, /domain_authority 0/],
    ['spam 250', { spam_score: 250 }, /spam_score 250/],
    ['spam -7', { spam_score: -7 }, /spam_score -7/],
    [
      'PA -3',
      { matching_source_pages: [{ page: 'blog.example/a', page_authority: -3 }] },
      /page_authority -3/,
    ],
    [
      'PA 1000',
      { matching_source_urls: [{ url: 'blog.example/a', page_authority: 1000 }] },
      /page_authority/,
    ],
    ['index 9 of 2', { matching_target_indexes: [0, 9] }, /holds 9, not an index into the 2 positive/],
    ['index -1', { matching_target_indexes: [-1] }, /holds -1/],
    ['index 0.5', { matching_target_indexes: [0.5] }, /holds 0.5/],
    ['no index', { matching_target_indexes: [] }, /is empty/],
    ['a source with ESC', { page: 'evil.example/\u001b[2J' }, /control characters/],
    ['a source with a space', { page: 'evil.example/a b' }, /white space/],
    ['a 3000-character source', { page: `long.example/${'a'.repeat(3000)}` }, /longer than 2048/],
    ['a spreadsheet formula', { page: '=HYPERLINK("http://evil.example","click")' }, /not a URL/],
    ['a javascript: URL', { page: 'javascript:alert(1)//x.example' }, /not a URL/],
    ['markup in the path', { page: 'evil.example/"><script>alert(1)</script>' }, /not a URL/],
    ['a host without a dot', { page: 'localhost/admin' }, /not a URL/],
    ['an IP address', { page: '10.0.0.1/admin' }, /not a URL/],
    ['an underscore host', { page: 'evil_host.example/x' }, /not a URL/],
    ['a stray percent', { page: 'blog.example/100%' }, /not a URL/],
  ])('%s', (_name, overrides, reason) => {
    const admission = admitRow(aRawRow(overrides), 2);
    expect(admission.ok).toBe(false);
    if (!admission.ok) {
      expect(admission.reason).toMatch(reason);
      // Reasons are our words: never the raw row's control characters.
      expect(admission.reason).toBe(withoutControlCharacters(admission.reason));
    }
  });

  it.each([
    'blog.example',
    'blog.example/',
    'www.blog.example/a/b-c_d.html?x=1&y=%2F;z=(1)~!$*+,@:',
    'xn--bcher-kva.example/b%C3%BCcher',
    'bücher.example/bücher',
  ])('admits the source %s: a host name the campaign targets accept, and a URL path', (source) => {
    expect(admitRow(aRawRow({ page: source }), 2).ok).toBe(true);
  });

  it('keeps a valid row, with Moz -1 spam as null and no page authority without pages', () => {
    const admission = admitRow(aRawRow({ spam_score: -1 }), 2);
    expect(admission).toEqual({
      ok: true,
      row: {
        source: 'blog.example/post',
        title: 'A post',
        domainAuthority: 40,
        spamScore: null,
        pageAuthority: null,
        matchingTargetIndexes: [0, 1],
        sourcePages: [],
      },
    });
  });

  it('removes escape sequences and control characters from titles, and cuts absurd ones', () => {
    const evil =
      'Hi\u001b]52;c;ZXZpbA==\u0007 \u001b[2Jthere\u001b]8;;https://evil.example\u0007link\u001b]8;;\u0007\u0007\u202e';
    const admission = admitRow(aRawRow({ title: evil }), 2);
    expect(admission.ok && admission.row.title).toBe('Hi therelink');
    const long = admitRow(aRawRow({ title: 'x'.repeat(50_000) }), 2);
    expect(long.ok && long.row.title.length).toBe(MAX_TITLE_LENGTH);
  });

  it('bounds a source with 200,000 matching pages: best authority kept, a handful of pages stored', () => {
    const pages = Array.from({ length: 200_000 }, (_, i) => ({
      page: `big.example/p${i}`,
      page_authority: 1 + (i % 97),
    }));
    pages[123_456] = { page: 'big.example/best', page_authority: 100 };
    const admission = admitRow(aRawRow({ matching_source_pages: pages }), 2);
    expect(admission.ok).toBe(true);
    if (!admission.ok) return;
    expect(admission.row.pageAuthority).toBe(100);
    expect(admission.row.sourcePages).toHaveLength(MAX_SOURCE_PAGES_PER_ROW);
    expect(admission.row.sourcePages[0]).toEqual({ page: 'big.example/best', pageAuthority: 100 });
  });
});
