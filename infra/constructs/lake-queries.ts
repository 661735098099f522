import { Size } from 'aws-cdk-lib';
import * as athena from 'aws-cdk-lib/aws-athena';
import { Construct } from 'constructs';
import type { AthenaNamedQuery } from '#lake/queries.ts';

export interface LakeQueriesProps {
  /** Workgroup name. */
  readonly workGroupName: string;
  /** Glue database the saved queries run in. */
  readonly databaseName: string;
  /** `s3://bucket/prefix/` for query results. */
  readonly resultsLocation: string;
  /** Saved queries to create in the workgroup. */
  readonly savedQueries: readonly AthenaNamedQuery[];
  /** Name of a saved query from its title. */
  readonly savedQueryName: (title: string) => string;
  /**
   * A query scanning more than this is cancelled: a guard against a query that forgets its
   * run_date filter on a large lake. Athena's minimum is 10 MB.
   * @default Size.gibibytes(1)
   */
  readonly bytesScannedCutoff?: Size;
}

/**
 * The Athena workgroup people query the lake in (its settings enforced: results encrypted in the
 * results bucket, a per-query scan limit, CloudWatch metrics) and the saved queries.
 */
export class LakeQueries extends Construct {
  public readonly workGroup: athena.CfnWorkGroup;

  constructor(scope: Construct, id: string, props: LakeQueriesProps) {
    super(scope, id);
    if (props.bytesScannedCutoff && props.bytesScannedCutoff.toBytes() < 10 * 1024 ** 2) {
      throw new Error('athenaBytesScannedCutoff must be at least 10 MB (Athena minimum)');
    }
    this.workGroup = new athena.CfnWorkGroup(this, 'WorkGroup', {
      name: props.workGroupName,
      description: 'linkgap: queries over the lake (prospects, changes, runs)',
      state: 'ENABLED',
      // Lets `cdk destroy` remove the workgroup with its saved queries and query history.
      recursiveDeleteOption: true,
      workGroupConfiguration: {
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        bytesScannedCutoffPerQuery: (props.bytesScannedCutoff ?? Size.gibibytes(1)).toBytes(),
        engineVersion: { selectedEngineVersion: 'AUTO' },
        resultConfiguration: {
          outputLocation: props.resultsLocation,
          encryptionConfiguration: { encryptionOption: 'SSE_S3' },
        },
      },
    });

    for (const query of props.savedQueries) {
      new athena.CfnNamedQuery(this, `Query-${query.id}`, {
        name: props.savedQueryName(query.title),
        description: query.description,
        database: props.databaseName,
        workGroup: this.workGroup.ref,
        queryString: query.sql,
      });
    }
  }
}
