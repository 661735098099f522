import { Readable } from 'node:stream';
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  PutObjectCommand,
  type PutObjectCommandInput,
  paginateListObjectsV2,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { ObjectStore } from '#shared/ports.ts';

export interface S3ObjectStoreOptions {
  s3: S3Client;
  bucket: string;
  /** Bodies larger than this go up as a multipart upload. @default 8 MiB */
  multipartThresholdBytes?: number;
  /** Keys per ListObjectsV2 page. @default 1000 (the S3 maximum) */
  listPageSize?: number;
  /** Keys per DeleteObjects request, at most 1000 (the S3 maximum). @default 1000 */
  deleteBatchSize?: number;
}

/** Some keys could not be deleted; the message lists them with S3's error codes. */
export class ObjectDeleteError extends Error {
  override name = 'ObjectDeleteError';
}

const MiB = 1024 * 1024;
const MAX_DELETE_BATCH = 1000;
/** 409 ConditionalRequestConflict: a concurrent conditional write to the key is in flight. */
const CONFLICT_RETRIES = 3;

/**
 * The lake on S3. Snapshot files are write-once: `put` with `ifNoneMatch` sends `If-None-Match: *`
 * and answers 'exists' when S3 refuses with 412 PreconditionFailed (moto enforces it too).
 */
export function createS3ObjectStore(options: S3ObjectStoreOptions): ObjectStore {
  const { s3, bucket } = options;
  const multipartThreshold = options.multipartThresholdBytes ?? 8 * MiB;
  const deleteBatchSize = Math.min(options.deleteBatchSize ?? MAX_DELETE_BATCH, MAX_DELETE_BATCH);

  async function upload(params: PutObjectCommandInput & { Body: Uint8Array }): Promise<void> {
    if (params.Body.byteLength <= multipartThreshold) {
      await s3.send(new PutObjectCommand(params));
      return;
    }
    // lib-storage passes IfNoneMatch on to CompleteMultipartUpload, where S3 enforces it.
    await new Upload({
      client: s3,
      params,
      partSize: 8 * MiB,
      queueSize: 4,
      leavePartsOnError: false,
    }).done();
  }

  return {
    async put(key, body, putOptions = {}) {
      const params = {
        Bucket: bucket,
        Key: key,
        Body: body,
        ...(putOptions.contentType === undefined ? {} : { ContentType: putOptions.contentType }),
        ...(putOptions.ifNoneMatch ? { IfNoneMatch: '*' } : {}),
      };
      for (let attempt = 0; ; attempt++) {
        try {
          await upload(params);
          return 'created';
        } catch (error) {
          if (!putOptions.ifNoneMatch) throw error;
          const status = httpStatusOf(error);
          if (status === 412 || errorName(error) === 'PreconditionFailed') return 'exists';
          if (status === 409 || errorName(error) === 'ConditionalRequestConflict') {
            // Another writer is creating the same key right now; once it lands, S3 answers 412.
            if (attempt >= CONFLICT_RETRIES) return 'exists';
            await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** attempt));
            continue;
          }
          throw error;
        }
      }
    },

    async putStream(key, body, putOptions = {}) {
      const params = {
        Bucket: bucket,
        Key: key,
        // lib-storage reads the stream a part at a time: one PutObject when it ends within the first part.
        Body: Readable.from(body),
        ...(putOptions.contentType === undefined ? {} : { ContentType: putOptions.contentType }),
        ...(putOptions.ifNoneMatch ? { IfNoneMatch: '*' } : {}),
      };
      try {
        await new Upload({
          client: s3,
          params,
          partSize: 8 * MiB,
          queueSize: 2,
          leavePartsOnError: false,
        }).done();
        return 'created';
      } catch (error) {
        // A stream cannot be sent twice: a 409 (a concurrent writer) counts as 'exists', and the caller compares.
        const status = httpStatusOf(error);
        if (
          putOptions.ifNoneMatch &&
          (status === 412 || status === 409 || errorName(error) === 'PreconditionFailed')
        )
          return 'exists';
        throw error;
      }
    },

    async get(key) {
      try {
        const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        if (response.Body === undefined) return new Uint8Array();
        return await response.Body.transformToByteArray();
      } catch (error) {
        if (errorName(error) === 'NoSuchKey' || httpStatusOf(error) === 404) return undefined;
        throw error;
      }
    },

    async list(prefix) {
      const keys: string[] = [];
      const pages = paginateListObjectsV2(
        { client: s3, ...(options.listPageSize === undefined ? {} : { pageSize: options.listPageSize }) },
        { Bucket: bucket, Prefix: prefix },
      );
      for await (const page of pages) {
        for (const object of page.Contents ?? []) {
          if (object.Key !== undefined) keys.push(object.Key);
        }
      }
      // ListObjectsV2 returns keys in UTF-8 binary order, page after page: already sorted.
      return keys;
    },

    async delete(keys) {
      const failures: string[] = [];
      for (let start = 0; start < keys.length; start += deleteBatchSize) {
        const chunk = keys.slice(start, start + deleteBatchSize);
        const response = await s3.send(
          new DeleteObjectsCommand({
            Bucket: bucket,
            Delete: { Objects: chunk.map((Key) => ({ Key })), Quiet: true },
          }),
        );
        for (const failure of response.Errors ?? []) {
          failures.push(`${failure.Key ?? '?'} (${failure.Code ?? 'unknown error'})`);
        }
      }
      if (failures.length > 0) {
        const shown = failures.slice(0, 10).join(', ');
        const more = failures.length > 10 ? ` and ${failures.length - 10} more` : '';
        throw new ObjectDeleteError(
          `could not delete ${failures.length} object(s) from ${bucket}: ${shown}${more}`,
        );
      }
    },
  };
}

function errorName(error: unknown): string | undefined {
  return error instanceof Error ? error.name : undefined;
}

function httpStatusOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const metadata = (error as { $metadata?: { httpStatusCode?: unknown } }).$metadata;
  return typeof metadata?.httpStatusCode === 'number' ? metadata.httpStatusCode : undefined;
}
