import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { LAKE_TABLES } from '#lake/schema.ts';
import { acknowledgeWildcard, roleOf } from './nag.ts';

/** Checkpoints of runs in progress (DESIGN.md section 4); expired by lifecycle, never queried. */
export const STAGING_PREFIX = 'staging';
/** Each campaign's private memory between runs (ledgers); not an Athena table. */
export const STATE_PREFIX = 'state';
/** Where Athena writes query results, in the results bucket. */
export const ATHENA_RESULTS_PREFIX = 'athena-results';

/** Every top-level prefix the pipeline writes: the three tables, staging and state. */
export const PIPELINE_PREFIXES: readonly string[] = [
  ...Object.values(LAKE_TABLES).map((table) => table.prefix),
  STAGING_PREFIX,
  STATE_PREFIX,
];

export interface LakeStorageProps {
  /**
   * Expire committed snapshots (prospects, changes, runs, state) after this long. The lake is the
   * product, so by default nothing committed ever expires.
   * @default - kept forever
   */
  readonly lakeRetention?: Duration;
  /**
   * Expire run checkpoints under `staging/` after this long. A run finishes (or lands in the DLQ)
   * within hours, so a week is ample for debugging a failed one.
   * @default Duration.days(7)
   */
  readonly stagingExpiry?: Duration;
  /**
   * Expire noncurrent object versions (overwritten or deleted objects) after this long.
   * @default Duration.days(30)
   */
  readonly noncurrentVersionExpiry?: Duration;
  /**
   * Expire S3 server access logs after this long.
   * @default Duration.days(90)
   */
  readonly accessLogRetention?: Duration;
  /**
   * Expire Athena query results after this long (they can always be recomputed).
   * @default Duration.days(30)
   */
  readonly athenaResultsExpiry?: Duration;
}

/**
 * The S3 side of the lake: the lake bucket itself (versioned, SSE-S3, TLS only, retained), a bucket
 * for Athena query results, and a bucket receiving both buckets' server access logs.
 */
export class LakeStorage extends Construct {
  public readonly bucket: s3.Bucket;
  public readonly athenaResultsBucket: s3.Bucket;
  public readonly accessLogBucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: LakeStorageProps = {}) {
    super(scope, id);
    // Grant S3 log delivery through a bucket policy instead of the legacy LogDeliveryWrite ACL,
    // which ACL-less buckets (BucketOwnerEnforced) cannot have. Set here, before any child exists,
    // so it holds whichever app builds this construct.
    this.node.setContext('@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy', true);

    const secure = {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
    } as const;

    this.accessLogBucket = new s3.Bucket(this, 'AccessLogs', {
      ...secure,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [
        {
          id: 'expire-access-logs',
          expiration: props.accessLogRetention ?? Duration.days(90),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
    });
    Validations.of(this.accessLogBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'This bucket is the server access log destination for the lake and Athena results buckets; logging it into itself would log its own log deliveries forever.',
    });

    this.bucket = new s3.Bucket(this, 'Bucket', {
      ...secure,
      versioned: true,
      removalPolicy: RemovalPolicy.RETAIN,
      serverAccessLogsBucket: this.accessLogBucket,
      serverAccessLogsPrefix: 'lake/',
      lifecycleRules: lakeLifecycleRules(props),
    });

    this.athenaResultsBucket = new s3.Bucket(this, 'AthenaResults', {
      ...secure,
      removalPolicy: RemovalPolicy.RETAIN,
      serverAccessLogsBucket: this.accessLogBucket,
      serverAccessLogsPrefix: 'athena-results/',
      lifecycleRules: [
        {
          id: 'expire-athena-results',
          expiration: props.athenaResultsExpiry ?? Duration.days(30),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
    });
  }

  /** `s3://<results bucket>/athena-results/` */
  public get athenaResultsLocation(): string {
    return `s3://${this.athenaResultsBucket.bucketName}/${ATHENA_RESULTS_PREFIX}/`;
  }

  /**
   * What the runner needs and nothing more: read and write objects under the prefixes the pipeline
   * owns, delete only its own checkpoints under staging/ (snapshots are immutable; lifecycle expires
   * whatever staging/ a crashed run leaves), and list the bucket. Written out instead of
   * `grantReadWrite`, which would allow deleting snapshots. The cdk-nag finding each prefix
   * wildcard raises is acknowledged on the function's role.
   */
  public grantPipelineReadWrite(grantee: lambda.Function): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'LakeObjectsOfOwnedPrefixes',
        actions: ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
        resources: PIPELINE_PREFIXES.map((prefix) => this.bucket.arnForObjects(`${prefix}/*`)),
      }),
    );
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'LakeCheckpointCleanup',
        actions: ['s3:DeleteObject'],
        resources: [this.bucket.arnForObjects('staging/*')],
      }),
    );
    grantee.grantPrincipal.addToPrincipalPolicy(
      // Unconditional on purpose: without s3:ListBucket on the bucket, S3 answers a GetObject of a
      // missing key with 403 AccessDenied instead of 404 NoSuchKey, and the pipeline reads "not there
      // yet" (checkpoints, a previous ledger) from that 404. The bucket holds only lake data.
      new iam.PolicyStatement({
        sid: 'LakeListing',
        actions: ['s3:ListBucket'],
        resources: [this.bucket.bucketArn],
      }),
    );
    for (const prefix of PIPELINE_PREFIXES) {
      acknowledgeWildcard(
        roleOf(grantee),
        this.bucket,
        `/${prefix}/*`,
        `The runner reads and writes objects under the ${prefix}/ prefix it owns (keys are per campaign, run date and run id); no other prefix, no delete, not the whole bucket.`,
      );
    }
  }
}

/** Staging and old versions expire; committed snapshots only when `lakeRetention` says so. */
function lakeLifecycleRules(props: LakeStorageProps): s3.LifecycleRule[] {
  const committedExpiry = props.lakeRetention
    ? PIPELINE_PREFIXES.filter((prefix) => prefix !== STAGING_PREFIX).map((prefix) => ({
        id: `expire-${prefix}`,
        prefix: `${prefix}/`,
        expiration: props.lakeRetention,
      }))
    : [];
  return [
    {
      id: 'expire-staging',
      prefix: `${STAGING_PREFIX}/`,
      expiration: props.stagingExpiry ?? Duration.days(7),
    },
    {
      id: 'expire-noncurrent-versions',
      noncurrentVersionExpiration: props.noncurrentVersionExpiry ?? Duration.days(30),
      abortIncompleteMultipartUploadAfter: Duration.days(1),
    },
    {
      // Expiring staging/ leaves delete markers in a versioned bucket; drop them once alone.
      id: 'remove-expired-delete-markers',
      expiredObjectDeleteMarker: true,
    },
    ...committedExpiry,
  ];
}
