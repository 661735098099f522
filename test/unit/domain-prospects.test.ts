import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isIgnored, prospectScore, toCurrentProspects } from '#domain/prospects.ts';
import { aCampaign, aMozRow, aProspect } from '#test/support/builders.ts';

describe('toCurrentProspects', () => {
  const campaign = aCampaign({
    competitors: [
      { target: 'rival-a.example' },
      { target: 'rival-b.example' },
      { target: 'rival-c.example' },
    ],
    ignore: ['spam.example'],
  });

  it('maps target indexes to competitor targets and fills the prospect', () => {
    const [prospect] = toCurrentProspects(
      [
        aMozRow({
          source: 'www.blog.co.uk/post',
          title: 'Post',
          domainAuthority: 61,
          pageAuthority: 40,
          spamScore: 3,
          matchingTargetIndexes: [0, 2],
        }),
      ],
      campaign,
    );
    expect(prospect).toEqual({
      source: 'www.blog.co.uk/post',
      sourceRootDomain: 'blog.co.uk',
      title: 'Post',
      domainAuthority: 61,
      pageAuthority: 40,
      spamScore: 3,
      matchedTargets: ['rival-a.example', 'rival-c.example'],
      matchedCount: 2,
    });
  });

  it.each([
    ['out-of-range indexes are ignored', [1, 7, -1], ['rival-b.example']],
    ['repeated indexes count once', [1, 1], ['rival-b.example']],
    ['no indexes', [], []],
  ])('%s', (_label, matchingTargetIndexes, expected) => {
    const [prospect] = toCurrentProspects([aMozRow({ matchingTargetIndexes })], campaign);
    expect(prospect?.matchedTargets).toEqual(expected);
    expect(prospect?.matchedCount).toBe(expected.length);
  });

  it('keeps the first row of a source, drops ignored sources and keeps the input order', () => {
    const prospects = toCurrentProspects(
      [
        aMozRow({ source: 'b.example', domainAuthority: 10 }),
        aMozRow({ source: 'www.spam.example' }),
        aMozRow({ source: 'a.example' }),
        aMozRow({ source: 'b.example', domainAuthority: 99 }),
      ],
      campaign,
    );
    expect(prospects.map((p) => [p.source, p.domainAuthority])).toEqual([
      ['b.example', 10],
      ['a.example', 40],
    ]);
  });

  it("turns Moz's -1 spam score into null", () => {
    expect(toCurrentProspects([aMozRow({ spamScore: -1 })], campaign)[0]?.spamScore).toBeNull();
  });
});

describe('isIgnored', () => {
  it.each<[string, string[], boolean]>([
    ['spam.example', ['spam.example'], true],
    ['www.spam.example/page?x=1', ['spam.example'], true],
    ['a.b.spam.example', ['spam.example'], true],
    ['SPAM.example', ['spam.example'], true],
    ['spam.example:8080/x', ['spam.example'], true],
    ['notspam.example', ['spam.example'], false],
    ['spam.example.org', ['spam.example'], false],
    ['blog.example', [], false],
    ['sites.google.com/view/x', ['google.com'], true],
    ['blog.co.uk', ['co.uk'], true],
    ['other.example', ['spam.example', 'other.example'], true],
  ])('%s with ignore %j → %s', (source, ignore, expected) => {
    expect(isIgnored(source, ignore)).toBe(expected);
  });
});

describe('prospectScore', () => {
  it.each<[string, Parameters<typeof aProspect>[0], number, number]>([
    [
      'the best possible prospect',
      { domainAuthority: 100, matchedTargets: ['a', 'b'], spamScore: 0 },
      2,
      100,
    ],
    ['the worst possible prospect', { domainAuthority: 0, matchedTargets: [], spamScore: 100 }, 2, 0],
    [
      'an unscored spam score counts as neutral 50',
      { domainAuthority: 50, matchedTargets: ['a'], spamScore: null },
      2,
      30 + 15 + 5,
    ],
    [
      'rounds to one decimal',
      { domainAuthority: 33, matchedTargets: ['a'], spamScore: 7 },
      3,
      19.8 + 10 + 9.3,
    ],
    ['no competitors scores no share', { domainAuthority: 10, matchedTargets: ['a'], spamScore: 0 }, 0, 16],
    [
      'out-of-range inputs are clamped',
      { domainAuthority: 150, matchedTargets: ['a', 'b', 'c'], spamScore: 200 },
      2,
      90,
    ],
  ])('%s', (_label, overrides, competitorCount, expected) => {
    expect(prospectScore(aProspect(overrides), competitorCount)).toBeCloseTo(expected, 10);
  });

  it('stays within 0-100 with one decimal', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 100 }),
        fc.integer({ min: 0, max: 6 }),
        fc.integer({ min: 1, max: 6 }),
        fc.option(fc.integer({ min: 0, max: 100 }), { nil: null }),
        (domainAuthority, matched, competitors, spamScore) => {
          const prospect = aProspect({
            domainAuthority,
            spamScore,
            matchedTargets: Array.from({ length: matched }, (_, i) => `t${i}`),
          });
          const score = prospectScore(prospect, competitors);
          expect(score).toBeGreaterThanOrEqual(0);
          expect(score).toBeLessThanOrEqual(100);
          expect(Math.round(score * 10) / 10).toBe(score);
        },
      ),
    );
  });
});
