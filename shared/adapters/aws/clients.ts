import { AthenaClient } from '@aws-sdk/client-athena';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export interface AwsClients {
  doc: DynamoDBDocumentClient;
  s3: S3Client;
  secrets: SecretsManagerClient;
  sqs: SQSClient;
  athena: AthenaClient;
}

/**
 * Builds the SDK clients once (call it at module scope in a composition root, never per invocation).
 * Default config only: region, credentials and `AWS_ENDPOINT_URL` (moto in tests) come from the
 * environment, so the same code runs in Lambda, on a laptop and against the local stack.
 */
export function createAwsClients(): AwsClients {
  const dynamo = new DynamoDBClient({});
  return {
    doc: DynamoDBDocumentClient.from(dynamo, {
      marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
    }),
    s3: new S3Client({}),
    secrets: new SecretsManagerClient({}),
    sqs: new SQSClient({}),
    athena: new AthenaClient({}),
  };
}
