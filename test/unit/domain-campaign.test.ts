import { describe, expect, it } from 'vitest';
import { type CampaignInput, CampaignValidationError, configHash, parseCampaign } from '#domain/campaign.ts';
import { isIgnored } from '#domain/prospects.ts';
import { aCampaign, aCampaignInput } from '#test/support/builders.ts';

function validationError(input: unknown): CampaignValidationError {
  try {
    parseCampaign(input);
  } catch (error) {
    if (error instanceof CampaignValidationError) return error;
    throw error;
  }
  throw new Error('expected the campaign to be rejected');
}

const sixCompetitors = ['a', 'b', 'c', 'd', 'e', 'f'].map((name) => ({ target: `${name}.example` }));

describe('parseCampaign: normalization', () => {
  it('fills in the documented defaults', () => {
    const campaign = parseCampaign({
      id: 'minimal',
      site: [{ target: 'acme.example' }],
      competitors: [{ target: 'rival.example' }],
    });
    expect(campaign).toMatchObject({
      site: [{ target: 'acme.example', scope: 'root_domain' }],
      minMatchingTargets: 1,
      sourceScope: 'root_domain',
      sort: 'source_domain_authority',
      maxRowsPerRun: 5000,
      verifyDepartures: true,
      schedule: { every: 'month', day: 1 },
      ignore: [],
      enabled: true,
    });
  });

  it.each([
    ['strips an http scheme', 'http://rival.example', 'root_domain', 'rival.example'],
    ['strips an https scheme and a trailing slash', 'HTTPS://Rival.Example/', 'root_domain', 'rival.example'],
    [
      'reduces a root_domain target to the registrable domain',
      'www.shop.rival.co.uk',
      'root_domain',
      'rival.co.uk',
    ],
    ['keeps the subdomain of a subdomain target', 'Blog.Rival.example', 'subdomain', 'blog.rival.example'],
    ['turns an IDN host into punycode', 'bücher.example', 'root_domain', 'xn--bcher-kva.example'],
    [
      'percent-encodes non-ASCII path characters',
      'rival.example/Straße/ü?q=1',
      'page',
      'rival.example/Stra%C3%9Fe/%C3%BC?q=1',
    ],
    ['keeps existing escapes', 'https://rival.example/a%20b', 'page', 'rival.example/a%20b'],
  ] as const)('%s', (_label, target, scope, expected) => {
    const campaign = aCampaign({ competitors: [{ target, scope }] });
    expect(campaign.competitors[0]?.target).toBe(expected);
  });

  it('normalizes ignore entries to their host (lower case, punycode, no scheme or path, no www.), never wider', () => {
    expect(
      aCampaign({
        ignore: [
          'https://WWW.Spam-Directory.example/',
          'blog.junk.example',
          'Sub.Foo.example',
          'bücher.example',
        ],
      }).ignore,
    ).toEqual(['spam-directory.example', 'blog.junk.example', 'sub.foo.example', 'xn--bcher-kva.example']);
  });

  it('an ignore entry covers its host and its subdomains, not its parent domain or siblings', () => {
    const ignore = aCampaign({ ignore: ['Sub.Foo.example'] }).ignore;
    expect(isIgnored('sub.foo.example', ignore)).toBe(true);
    expect(isIgnored('a.sub.foo.example/page', ignore)).toBe(true);
    expect(isIgnored('foo.example', ignore)).toBe(false);
    expect(isIgnored('other.foo.example', ignore)).toBe(false);
    // A stored campaign whose entry is a root domain ignores every subdomain, as before.
    expect(isIgnored('other.foo.example', ['foo.example'])).toBe(true);
  });
});

describe('parseCampaign: every rejection names its field', () => {
  it.each<[string, unknown, string, string]>([
    ['an id with capitals and spaces', aCampaignInput({ id: 'Bad ID' }), 'id', 'lower-case'],
    ['an id too long', aCampaignInput({ id: 'a'.repeat(65) }), 'id', 'lower-case'],
    ['a missing id', { ...aCampaignInput(), id: undefined }, 'id', ''],
    ['a blank name', aCampaignInput({ name: '   ' }), 'name', 'must not be empty'],
    ['a name with ESC', aCampaignInput({ name: 'Acme \u001b[2J' }), 'name', 'control'],
    ['a name with BEL', aCampaignInput({ name: 'Acme \u0007' }), 'name', 'control'],
    ['a name with a bidi override', aCampaignInput({ name: 'Acme \u202eevil' }), 'name', 'bidi'],
    ['a name with a bidi isolate', aCampaignInput({ name: 'Acme \u2066evil' }), 'name', 'bidi'],
    ['a name with a line break', aCampaignInput({ name: 'Acme\nline two' }), 'name', 'control'],
    ['a name with U+2028', aCampaignInput({ name: 'Acme\u2028line two' }), 'name', 'line breaks'],
    ['a name with U+2029', aCampaignInput({ name: 'Acme\u2029line two' }), 'name', 'line breaks'],
    ['a name with an Arabic letter mark', aCampaignInput({ name: 'Acme \u061cevil' }), 'name', 'bidi'],
    ['a name with a left-to-right mark', aCampaignInput({ name: 'Acme \u200eevil' }), 'name', 'bidi'],
    ['a name with a right-to-left mark', aCampaignInput({ name: 'Acme \u200fevil' }), 'name', 'bidi'],
    ['no site', aCampaignInput({ site: [] }), 'site', 'at least one target'],
    ['no competitors', aCampaignInput({ competitors: [] }), 'competitors', 'at least one competitor'],
    ['more than 6 targets', aCampaignInput({ competitors: sixCompetitors }), 'competitors', 'at most 6'],
    [
      'a competitor on the own site',
      aCampaignInput({ competitors: [{ target: 'blog.acme.example' }] }),
      'competitors[0].target',
      "campaign's own site",
    ],
    [
      'a duplicate competitor after normalization',
      aCampaignInput({ competitors: [{ target: 'x.example' }, { target: 'https://www.X.example/' }] }),
      'competitors[1].target',
      'listed twice',
    ],
    [
      'a port',
      aCampaignInput({ competitors: [{ target: 'x.example:8080' }] }),
      'competitors[0].target',
      'port',
    ],
    [
      'a path on a root_domain target',
      aCampaignInput({ competitors: [{ target: 'x.example/path' }] }),
      'competitors[0].target',
      'path',
    ],
    [
      'a fragment',
      aCampaignInput({ competitors: [{ target: 'x.example/a#b', scope: 'page' }] }),
      'competitors[0].target',
      'fragment',
    ],
    [
      'a space',
      aCampaignInput({ competitors: [{ target: 'x .example' }] }),
      'competitors[0].target',
      'spaces',
    ],
    [
      'an unsupported scheme',
      aCampaignInput({ competitors: [{ target: 'ftp://x.example' }] }),
      'competitors[0].target',
      'scheme',
    ],
    ['an IP address', aCampaignInput({ site: [{ target: '10.0.0.1' }] }), 'site[0].target', 'IP address'],
    [
      'a bad target scope',
      aCampaignInput({ site: [{ target: 'acme.example', scope: 'domain' as never }] }),
      'site[0].scope',
      '',
    ],
    ['minMatchingTargets 0', aCampaignInput({ minMatchingTargets: 0 }), 'minMatchingTargets', '>=1'],
    [
      'minMatchingTargets above the competitors',
      aCampaignInput({ minMatchingTargets: 3 }),
      'minMatchingTargets',
      'only 2',
    ],
    ['a bad sourceScope', aCampaignInput({ sourceScope: 'subdomain' as never }), 'sourceScope', 'page'],
    ['a bad sort', aCampaignInput({ sort: 'random' as never }), 'sort', 'source_domain_authority'],
    ['a negative maxRowsPerRun', aCampaignInput({ maxRowsPerRun: -1 }), 'maxRowsPerRun', 'at least 5'],
    ['maxRowsPerRun 0', aCampaignInput({ maxRowsPerRun: 0 }), 'maxRowsPerRun', 'at least 5'],
    ['a fractional maxRowsPerRun', aCampaignInput({ maxRowsPerRun: 10.5 }), 'maxRowsPerRun', 'int'],
    [
      'verifyDepartures as a string',
      aCampaignInput({ verifyDepartures: 'yes' as never }),
      'verifyDepartures',
      'boolean',
    ],
    [
      'a bad schedule.every',
      aCampaignInput({ schedule: { every: 'year' } as never }),
      'schedule.every',
      'month',
    ],
    ['schedule day 0', aCampaignInput({ schedule: { every: 'month', day: 0 } }), 'schedule.day', '>=1'],
    ['schedule day 29', aCampaignInput({ schedule: { every: 'month', day: 29 } }), 'schedule.day', '<=28'],
    [
      'a bad weekday',
      aCampaignInput({ schedule: { every: 'week', weekday: 'funday' as never } }),
      'schedule.weekday',
      'monday',
    ],
    ['an ignore entry with a space', aCampaignInput({ ignore: ['not a domain'] }), 'ignore[0]', 'spaces'],
    ['an ignore entry without a dot', aCampaignInput({ ignore: ['localhost'] }), 'ignore[0]', 'no dot'],
    ['enabled as a string', aCampaignInput({ enabled: 'true' as never }), 'enabled', 'boolean'],
    ['an unknown top-level field', { ...aCampaignInput(), colour: 'red' }, 'colour', 'unknown field'],
    [
      'an unknown target field',
      aCampaignInput({ competitors: [{ target: 'x.example', weight: 1 } as never] }),
      'competitors[0].weight',
      'unknown field',
    ],
  ])('rejects %s', (_label, input, field, fragment) => {
    const error = validationError(input);
    const issue = error.issues.find((candidate) => candidate.field === field);
    expect(issue, `issues: ${JSON.stringify(error.issues)}`).toBeDefined();
    expect(issue?.message).toContain(fragment);
    expect(error.message).toContain(`${field}: `);
  });

  it('names the campaign id and lists every bad field at once', () => {
    const error = validationError(aCampaignInput({ sort: 'random' as never, enabled: 'no' as never }));
    expect(error.campaignId).toBe('acme-trail-shoes');
    expect(error.issues.map((issue) => issue.field)).toEqual(expect.arrayContaining(['sort', 'enabled']));
  });

  it.each([null, 42, 'campaign', []])('rejects a non-object (%j)', (input) => {
    expect(() => parseCampaign(input)).toThrow(CampaignValidationError);
  });
});

describe('digestWebhookSecret (issue 13)', () => {
  it('is optional, and takes a Secrets Manager secret name', () => {
    expect(parseCampaign(aCampaign({})).digestWebhookSecret).toBeUndefined();
    expect(
      parseCampaign(aCampaign({ digestWebhookSecret: 'linkgap/webhook/team' })).digestWebhookSecret,
    ).toBe('linkgap/webhook/team');
  });

  it('refuses a URL in its place, naming the field (the URL belongs in the secret)', () => {
    expect(() =>
      parseCampaign(aCampaign({ digestWebhookSecret: 'https://hooks.slack.com/services/T/B/x' })),
    ).toThrow(/digestWebhookSecret: must be a Secrets Manager secret name/);
  });
});

describe('configHash', () => {
  const base: Partial<CampaignInput> = {
    competitors: [{ target: 'rival-a.example' }, { target: 'rival-b.example' }],
  };
  const hashOf = (overrides: Partial<CampaignInput>) => configHash(aCampaign({ ...base, ...overrides }));

  it('is stable and does not depend on target order', () => {
    expect(hashOf({})).toBe(hashOf({}));
    expect(hashOf({ competitors: [{ target: 'rival-b.example' }, { target: 'rival-a.example' }] })).toBe(
      hashOf({}),
    );
  });

  it('does not depend on how a target was written', () => {
    expect(
      hashOf({ competitors: [{ target: 'https://WWW.Rival-A.example/' }, { target: 'rival-b.example' }] }),
    ).toBe(hashOf({}));
  });

  it.each<[string, Partial<CampaignInput>]>([
    ['name', { name: 'Another name' }],
    ['maxRowsPerRun', { maxRowsPerRun: 100 }],
    ['verifyDepartures', { verifyDepartures: false }],
    ['schedule', { schedule: { every: 'week', weekday: 'friday' } }],
    ['ignore', { ignore: ['spam.example'] }],
    ['enabled', { enabled: false }],
    ['digestWebhookSecret', { digestWebhookSecret: 'linkgap/webhook/team' }],
  ])('ignores %s', (_field, overrides) => {
    expect(hashOf(overrides)).toBe(hashOf({}));
  });

  it.each<[string, Partial<CampaignInput>]>([
    ['a competitor', { competitors: [{ target: 'rival-a.example' }, { target: 'rival-c.example' }] }],
    [
      'a target scope',
      { competitors: [{ target: 'rival-a.example', scope: 'subdomain' }, { target: 'rival-b.example' }] },
    ],
    ['the site', { site: [{ target: 'acme-shoes.example' }] }],
    ['minMatchingTargets', { minMatchingTargets: 2 }],
    ['sourceScope', { sourceScope: 'page' }],
    ['sort', { sort: 'matching_target_count' }],
  ])('changes with %s', (_field, overrides) => {
    expect(hashOf(overrides)).not.toBe(hashOf({}));
  });
});
