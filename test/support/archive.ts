// A fresh bucket on the run's s3rver for each test file (or each call): the real local S3, never a mock.
import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import type { ObjectArchive } from '#shared/archive/archive.ts';
import { createS3Archive, createS3Client, ensureBucket } from '#shared/archive/s3.ts';
import { LOCAL_S3 } from '#shared/local/s3-local.ts';

export async function freshArchive(label = 'test'): Promise<ObjectArchive> {
  const client = createS3Client({ endpoint: inject('s3Endpoint'), ...LOCAL_S3 });
  const bucket = `${label}-${randomUUID().slice(0, 8)}`;
  await ensureBucket(client, bucket);
  return createS3Archive({ client, bucket });
}
