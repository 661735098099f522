import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { TABLE_KEYS } from '#adapters/aws/table.ts';
import { acknowledgeWildcard, roleOf } from './nag.ts';

const INDEX_WILDCARD_REASON =
  "The grant reaches this table's own secondary index (gsi1) by ARN; the wildcard only spans the table's index names.";

const stringKey = (name: string) => ({ name, type: dynamodb.AttributeType.STRING });

/**
 * The pipeline's state in one table: campaigns, runs and the Moz rate gate. Its keys are the ones
 * the DynamoDB adapters use (shared/adapters/aws/table.ts); on-demand, point-in-time recovery, and
 * retained when the stack is deleted.
 */
export class PipelineTable extends dynamodb.TableV2 {
  constructor(scope: Construct, id: string) {
    super(scope, id, {
      partitionKey: stringKey(TABLE_KEYS.partitionKey),
      sortKey: stringKey(TABLE_KEYS.sortKey),
      globalSecondaryIndexes: [
        {
          indexName: TABLE_KEYS.gsi1.indexName,
          partitionKey: stringKey(TABLE_KEYS.gsi1.partitionKey),
          sortKey: stringKey(TABLE_KEYS.gsi1.sortKey),
          projectionType: dynamodb.ProjectionType.ALL,
        },
      ],
      timeToLiveAttribute: TABLE_KEYS.ttlAttribute,
      billing: dynamodb.Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryptionV2.awsManagedKey(),
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }

  /** Read access for `fn`, with the cdk-nag finding for the index wildcard acknowledged. */
  public grantPipelineRead(fn: lambda.Function): void {
    this.grantReadData(fn);
    acknowledgeWildcard(roleOf(fn), this, '/index/*', INDEX_WILDCARD_REASON);
  }

  /** Read and write access for `fn`, with the cdk-nag finding for the index wildcard acknowledged. */
  public grantPipelineReadWrite(fn: lambda.Function): void {
    this.grantReadWriteData(fn);
    acknowledgeWildcard(roleOf(fn), this, '/index/*', INDEX_WILDCARD_REASON);
  }
}
