import { AthenaClient } from '@aws-sdk/client-athena';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export interface AwsClients {
  doc: DynamoDBDocumentClient;
  s3: S3Client;
  secrets: SecretsManagerClient;
  sqs: SQSClient;
  athena: AthenaClient;
}

/*
 * Each SDK client has its own factory, so a composition root that builds only the clients it uses
 * bundles only those (esbuild drops the others' packages: issue 14 measured the dispatcher paying for
 * S3, Secrets Manager and Athena clients it never called). Call them once, at a composition root,
 * never per invocation. Default config only: region, credentials and `AWS_ENDPOINT_URL` (moto in
 * tests) come from the environment, so the same code runs in Lambda, on a laptop and against the
 * local stack.
 */

export function createDocumentClient(): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(new DynamoDBClient({}), {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
}

export const createS3Client = (): S3Client => new S3Client({});
export const createSecretsManagerClient = (): SecretsManagerClient => new SecretsManagerClient({});
export const createSqsClient = (): SQSClient => new SQSClient({});
export const createAthenaClient = (): AthenaClient => new AthenaClient({});

/**
 * The SNS client for digests, built (and its package loaded) on the first call, then kept: only a
 * run that publishes a digest needs it, so the runner's cold start does not load it.
 */
export function snsClientOnDemand(): () => Promise<SNSClient> {
  let client: Promise<SNSClient> | undefined;
  return () => {
    client ??= import('@aws-sdk/client-sns').then(({ SNSClient }) => new SNSClient({}));
    return client;
  };
}

/** Every client (the CLI's `--aws` mode and the tests, which use them all). */
export function createAwsClients(): AwsClients {
  return {
    doc: createDocumentClient(),
    s3: createS3Client(),
    secrets: createSecretsManagerClient(),
    sqs: createSqsClient(),
    athena: createAthenaClient(),
  };
}
