import { describe, expect, it } from 'vitest';
import {
  GapFold,
  NumberColumn,
  TargetsColumn,
  trimGapColumns,
  Utf8Column,
} from '../../shared/domain/gap-columns.ts';
import { toCurrentProspects } from '../../shared/domain/prospects.ts';
import { aCampaign, aMozRow } from '../support/builders.ts';

describe('Utf8Column', () => {
  it('gives back every string exactly, across buffer growth and after trim', () => {
    const texts = [
      '',
      'plain',
      'Café – naïve 日本語',
      '😀 emoji',
      'x'.repeat(70_000),
      'lone \uD800 high',
      '\uDC00',
    ];
    const column = new Utf8Column();
    for (let round = 0; round < 300; round++) for (const text of texts) column.push(`${text}${round}`);
    column.trim();
    expect(column.length).toBe(300 * texts.length);
    for (let round = 0; round < 300; round += 37)
      texts.forEach((text, at) => {
        expect(column.at(round * texts.length + at)).toBe(`${text}${round}`);
      });
  });
});

describe('Utf8Column.utf8Of', () => {
  const texts = [
    '',
    'plain',
    'Café – naïve 日本語',
    '😀',
    '\uFEFFwith a BOM',
    '\uFEFF\uFEFFtwo',
    'x'.repeat(5000),
    '\uFEFF',
  ];
  const column = new Utf8Column();
  for (const text of texts) column.push(text);
  const order = Uint32Array.from([7, 2, 0, 5, 4, 1, 6, 3]);

  it('gives, in the order asked, the UTF-8 of exactly what `at` gives (a leading BOM dropped as decoding drops it)', () => {
    const utf8 = column.utf8Of(order, 1, 7);
    expect(utf8).toBeDefined();
    const { bytes, ends } = utf8 as { bytes: Uint8Array; ends: Uint32Array };
    expect(ends.length).toBe(6);
    Array.from(ends).forEach((end, at) => {
      const index = order[1 + at] as number;
      const start = at === 0 ? 0 : (ends[at - 1] as number);
      expect(Buffer.from(bytes.subarray(start, end)).equals(Buffer.from(column.at(index), 'utf8'))).toBe(
        true,
      );
    });
    expect(column.utf8Of(order, 3, 3)?.ends.length).toBe(0);
  });

  it('gives nothing when the column keeps a string it could not encode (a lone surrogate)', () => {
    const withLone = new Utf8Column();
    withLone.push('fine');
    withLone.push('lone \uD800');
    expect(withLone.utf8Of(Uint32Array.from([0]), 0, 1)).toBeUndefined();
  });
});

describe('NumberColumn', () => {
  it('keeps numbers (−0, fractions, large) and null through growth and trim', () => {
    const values = [0, -0, 1.5, 2 ** 40, null, -3];
    const column = new NumberColumn();
    for (let round = 0; round < 500; round++) for (const value of values) column.push(value);
    column.trim();
    expect(column.length).toBe(3000);
    values.forEach((value, at) => {
      expect(Object.is(column.nullableAt(2994 + at), value)).toBe(true);
    });
    expect(column.at(4)).toBeNaN();
  });
});

describe('TargetsColumn', () => {
  it('returns the very list pushed, for each prospect', () => {
    const a = ['a.example'];
    const b = ['a.example', 'b.example'];
    const column = new TargetsColumn();
    for (let index = 0; index < 2000; index++) column.push(index % 3 === 0 ? b : a);
    column.trim();
    expect(column.at(0)).toBe(b);
    expect(column.at(1999)).toBe(a);
    expect(column.length).toBe(2000);
  });
});

describe('GapFold', () => {
  it('holds what toCurrentProspects gives, column by column', () => {
    const campaign = aCampaign();
    const rows = [
      aMozRow({
        source: 'a.example',
        title: 'Ä title',
        domainAuthority: 12,
        spamScore: -1,
        pageAuthority: 7,
      }),
      aMozRow({ source: 'b.sub.example', title: 'B', spamScore: 4, pageAuthority: null }),
      aMozRow({ source: 'a.example', title: 'repeat' }),
    ];
    const fold = new GapFold(campaign);
    fold.add(rows);
    const columns = trimGapColumns(fold.columns);
    const expected = toCurrentProspects(rows, campaign);
    expect(columns.source).toEqual(expected.map((p) => p.source));
    expected.forEach((prospect, index) => {
      expect({
        source: columns.source[index],
        sourceRootDomain: columns.sourceRootDomain[index],
        title: columns.title.at(index),
        domainAuthority: columns.domainAuthority.at(index),
        pageAuthority: columns.pageAuthority.nullableAt(index),
        spamScore: columns.spamScore.nullableAt(index),
        matchedTargets: columns.matchedTargets.at(index),
        matchedCount: columns.matchedCount.at(index),
      }).toEqual(prospect);
    });
  });
});
