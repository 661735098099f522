/**
 * The cold-start reference for the dispatcher (bench/cold-start.ts): a bundle that only constructs the
 * AWS clients the dispatcher uses, at module scope, built exactly like the dispatcher.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

const clients = [DynamoDBDocumentClient.from(new DynamoDBClient({})), new SQSClient({})];

export const handler = async () => clients.length;
