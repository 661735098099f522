/**
 * The stores a management command works on: the embedded defaults under LINKGAP_HOME, or the deployed
 * stack with `--aws` (DynamoDB table, S3 lake). One place decides, so every command reads the same.
 */
import { join, resolve } from 'node:path';
import { createFileCampaignStore, createFileRunStore } from '#adapters/local/file-stores.ts';
import { createFsObjectStore } from '#adapters/local/fs-object-store.ts';
import { createFileReviewStore } from '#adapters/local/review-store.ts';
import type { EditableCampaignStore, ObjectStore, ReviewStore, RunStore } from '#shared/ports.ts';
import { awsSetting } from './options.ts';

/** The flags every `--aws`-capable command accepts. */
export interface AwsOptions {
  aws?: boolean;
  table?: string;
  bucket?: string;
}

export interface Backend {
  /** For messages: "local (/path/.linkgap)" or "DynamoDB table X". */
  where: string;
  campaigns(): EditableCampaignStore;
  runs(): RunStore;
  reviews(): ReviewStore;
  lake(): ObjectStore;
  /** Where the lake lives, for messages. */
  lakeWhere(): string;
  /** The local lake folder; undefined with --aws. */
  localLakeRoot: string | undefined;
  close(): void;
}

export function localHome(env: Record<string, string | undefined>): string {
  return resolve(env.LINKGAP_HOME || '.linkgap');
}

/**
 * Local by default; with `--aws`, the table and bucket are read only when a command needs them, so
 * `campaign list --aws` needs no bucket and `download --aws` needs no table. The AWS SDK is imported
 * only with `--aws`: a local command never pays for loading it.
 */
export async function openBackend(
  options: AwsOptions,
  env: Record<string, string | undefined>,
): Promise<Backend> {
  if (!options.aws) {
    const home = localHome(env);
    const lakeRoot = join(home, 'lake');
    return {
      where: `local (${home})`,
      campaigns: () => createFileCampaignStore(home),
      runs: () => createFileRunStore(home),
      reviews: () => createFileReviewStore(home),
      lake: () => createFsObjectStore(lakeRoot),
      lakeWhere: () => lakeRoot,
      localLakeRoot: lakeRoot,
      close() {},
    };
  }
  const [
    { openAwsClients },
    { createDynamoCampaignStore },
    { createDynamoRunStore },
    { createDynamoReviewStore },
    s3,
  ] = await Promise.all([
    import('./aws.ts'),
    import('#adapters/aws/campaign-store.ts'),
    import('#adapters/aws/run-store.ts'),
    import('#adapters/aws/review-store.ts'),
    import('#adapters/aws/object-store.ts'),
  ]);
  let clients: ReturnType<typeof openAwsClients> | undefined;
  const sdk = () => {
    clients ??= openAwsClients();
    return clients;
  };
  const table = () => awsSetting('table', options.table, env);
  const bucket = () => awsSetting('bucket', options.bucket, env);
  return {
    get where() {
      return `DynamoDB table ${table()}`;
    },
    // The setting is read before the clients are built: a missing one stays a one-line error, with
    // no SDK client constructed (the SDK prints a multi-line notice when it builds one on Node 20).
    campaigns: () => createDynamoCampaignStore({ tableName: table(), doc: sdk().doc }),
    runs: () => createDynamoRunStore({ tableName: table(), doc: sdk().doc }),
    reviews: () => createDynamoReviewStore({ tableName: table(), doc: sdk().doc }),
    lake: () => s3.createS3ObjectStore({ bucket: bucket(), s3: sdk().s3 }),
    lakeWhere: () => `s3://${bucket()}`,
    localLakeRoot: undefined,
    close() {
      clients?.close();
    },
  };
}
