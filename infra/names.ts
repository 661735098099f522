/**
 * Every physical name the stack sets comes from here, so the CLI, the README and the tests agree.
 * Only names people type are fixed (the secret, the Glue database, the Athena workgroup); tables,
 * buckets, queues and functions keep CloudFormation-generated names and are published as outputs.
 */

/** The default name prefix; a second copy of the stack in one account needs another (`-c namePrefix=...`). */
export const DEFAULT_NAME_PREFIX = 'linkgap';

/** The default CloudFormation stack name. */
export const DEFAULT_STACK_NAME = 'Linkgap';

const PREFIX_PATTERN = /^[a-z][a-z0-9-]{0,30}$/;

export interface LinkgapNames {
  /** Secrets Manager secret holding `{"token":"..."}`: `linkgap/moz`. */
  readonly mozSecret: string;
  /** Glue database (lower case, underscores only): `linkgap`. */
  readonly glueDatabase: string;
  /** Athena workgroup: `linkgap`. */
  readonly athenaWorkGroup: string;
  /** The rate-gate item (next free Moz request slot) shared by all runners: `moz`. */
  readonly rateGate: string;
  /** Powertools service names. */
  readonly dispatcherService: string;
  readonly runnerService: string;
  /** CloudWatch metrics namespace for the functions' EMF metrics. */
  readonly metricsNamespace: string;
  /** Secrets a campaign may name as its digest webhook (`digestWebhookSecret`) start with this: `linkgap/webhook/`. */
  readonly webhookSecretPrefix: string;
  /** Prefix of every saved query name: `linkgap: gap trend`. */
  savedQuery(title: string): string;
}

/** Names derived from one prefix (lower-case letters, digits and dashes, starting with a letter). */
export function linkgapNames(prefix: string = DEFAULT_NAME_PREFIX): LinkgapNames {
  if (!PREFIX_PATTERN.test(prefix)) {
    throw new Error(
      `name prefix ${JSON.stringify(prefix)} is invalid: use 1-31 lower-case letters, digits or dashes, starting with a letter`,
    );
  }
  return {
    mozSecret: `${prefix}/moz`,
    glueDatabase: prefix.replaceAll('-', '_'),
    athenaWorkGroup: prefix,
    rateGate: 'moz',
    webhookSecretPrefix: `${prefix}/webhook/`,
    dispatcherService: `${prefix}-dispatcher`,
    runnerService: `${prefix}-runner`,
    metricsNamespace: 'Linkgap',
    savedQuery: (title) => `${prefix}: ${title}`,
  };
}
