/**
 * The cold-start reference for the runner (bench/cold-start.ts): a bundle that only constructs the AWS
 * clients the runner uses, at module scope, built exactly like the runner.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

const clients = [
  DynamoDBDocumentClient.from(new DynamoDBClient({})),
  new S3Client({}),
  new SecretsManagerClient({}),
  new SQSClient({}),
];

export const handler = async () => clients.length;
