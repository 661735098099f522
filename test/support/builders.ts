/** Typed fixture builders: start from a valid default, override what the test is about. */
import type { SQSRecord } from 'aws-lambda';
import { type Campaign, type CampaignInput, parseCampaign } from '#domain/campaign.ts';
import type { Ledger, LedgerEntry } from '#domain/ledger.ts';
import type { CurrentProspect, MozRowLike } from '#domain/prospects.ts';
import { rootDomainOf } from '#domain/targets.ts';
import type { RunSummary } from '#shared/ports.ts';

/** A raw campaign config as a person writes it (before validation). */
export function aCampaignInput(overrides: Partial<CampaignInput> = {}): CampaignInput {
  return {
    id: 'acme-trail-shoes',
    name: 'Acme trail shoes',
    site: [{ target: 'acme.example', scope: 'root_domain' }],
    competitors: [
      { target: 'rival-a.example', scope: 'root_domain' },
      { target: 'rival-b.example', scope: 'root_domain' },
    ],
    minMatchingTargets: 1,
    sourceScope: 'root_domain',
    sort: 'source_domain_authority',
    maxRowsPerRun: 5000,
    verifyDepartures: true,
    schedule: { every: 'month', day: 1 },
    ignore: [],
    enabled: true,
    ...overrides,
  };
}

/** A validated, normalized campaign. */
export function aCampaign(overrides: Partial<CampaignInput> = {}): Campaign {
  return parseCampaign(aCampaignInput(overrides));
}

export function aMozRow(overrides: Partial<MozRowLike> = {}): MozRowLike {
  return {
    source: 'blog.example',
    title: '',
    domainAuthority: 40,
    spamScore: 2,
    pageAuthority: null,
    matchingTargetIndexes: [0],
    ...overrides,
  };
}

export function aProspect(overrides: Partial<CurrentProspect> & { source?: string } = {}): CurrentProspect {
  const source = overrides.source ?? 'blog.example';
  const matchedTargets = overrides.matchedTargets ?? ['rival-a.example'];
  return {
    source,
    sourceRootDomain: rootDomainOf(source),
    title: '',
    domainAuthority: 40,
    pageAuthority: null,
    spamScore: 2,
    matchedTargets,
    matchedCount: matchedTargets.length,
    ...overrides,
  };
}

export function aLedgerEntry(overrides: Partial<LedgerEntry> & { source?: string } = {}): LedgerEntry {
  const source = overrides.source ?? 'blog.example';
  return {
    source,
    sourceRootDomain: rootDomainOf(source),
    status: 'open',
    firstSeenDate: '2025-01-01',
    lastSeenDate: '2025-01-01',
    runsSeen: 1,
    closedDate: null,
    domainAuthority: 40,
    matchedCount: 1,
    ...overrides,
  };
}

export function aLedger(entries: LedgerEntry[], overrides: Partial<Omit<Ledger, 'entries'>> = {}): Ledger {
  return {
    configHash: 'hash-1',
    runId: 'run-2025-01-01',
    runDate: '2025-01-01',
    entries: [...entries].sort((a, b) => (a.source < b.source ? -1 : a.source > b.source ? 1 : 0)),
    ...overrides,
  };
}

/** What a run store records at commit: a one-prospect gap, nothing closed or lost. */
export function aRunSummary(overrides: Partial<RunSummary> = {}): RunSummary {
  return {
    manifestKey: 'runs/x.json',
    truncated: false,
    gapSize: 1,
    newCount: 1,
    closedCount: 0,
    lostCount: 0,
    rowsConsumed: 5,
    ...overrides,
  };
}

/** One record of the runner's SQS event, as Lambda delivers a message of the run queue. */
export function anSqsRecord(message: { messageId: string; receiptHandle: string; body: string }): SQSRecord {
  return {
    ...message,
    attributes: {} as SQSRecord['attributes'],
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:runs',
    awsRegion: 'us-east-1',
  };
}
