// A fresh bucket on the run's s3rver for each test file (or each call): the real local S3, never a mock.
import { randomUUID } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import { inject } from 'vitest';
import type { ObjectArchive } from '#shared/archive/archive.ts';
import { createS3Archive, createS3Client, ensureBucket } from '#shared/archive/s3.ts';
import { LOCAL_S3 } from '#shared/local/s3-local.ts';

/** A new, empty bucket and a client for it (for code that finds its bucket by name, e.g. a handler's environment). */
export async function freshBucket(label = 'test'): Promise<{ client: S3Client; bucket: string }> {
  const client = createS3Client({ endpoint: inject('s3Endpoint'), ...LOCAL_S3 });
  const bucket = `${label}-${randomUUID().slice(0, 8)}`;
  await ensureBucket(client, bucket);
  return { client, bucket };
}

export async function freshArchive(label = 'test'): Promise<ObjectArchive> {
  return createS3Archive(await freshBucket(label));
}
