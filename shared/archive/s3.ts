// S3 adapter of the archive port (also against s3rver locally). Counts requests and bytes for the benchmarks.
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { ArchiveError, type ArchiveUsage, type ObjectArchive } from './archive.ts';

/** A client for S3, or for a local S3 API (path-style addressing) when `endpoint` is set. */
export function createS3Client(config: S3ClientConfig = {}): S3Client {
  return new S3Client({ ...(config.endpoint ? { forcePathStyle: true } : {}), ...config });
}

export interface S3ArchiveOptions {
  client: S3Client;
  bucket: string;
}

export function createS3Archive({ client, bucket }: S3ArchiveOptions): ObjectArchive {
  const used: ArchiveUsage = { puts: 0, gets: 0, lists: 0, bytesPut: 0, bytesGot: 0 };
  return {
    async put(key, body) {
      used.puts++;
      used.bytesPut += body.length;
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    },

    async get(key) {
      used.gets++;
      try {
        const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        if (!out.Body) throw new ArchiveError(`s3://${bucket}/${key} has no body`);
        const bytes = await out.Body.transformToByteArray();
        used.bytesGot += bytes.length;
        return bytes;
      } catch (error) {
        if (error instanceof NoSuchKey) return undefined;
        throw error;
      }
    },

    async list(prefix) {
      const keys: string[] = [];
      let token: string | undefined;
      do {
        used.lists++;
        const out = await client.send(
          new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
        );
        for (const o of out.Contents ?? []) if (o.Key !== undefined) keys.push(o.Key);
        token = out.IsTruncated ? out.NextContinuationToken : undefined;
      } while (token);
      return keys.sort();
    },

    usage: () => ({ ...used }),
  };
}

/** Creates the bucket if it does not exist (local mode and tests; in AWS the stack owns it). */
export async function ensureBucket(client: S3Client, bucket: string): Promise<void> {
  try {
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (error) {
    const name = error instanceof Error ? error.name : '';
    if (name !== 'BucketAlreadyOwnedByYou' && name !== 'BucketAlreadyExists') throw error;
  }
}
