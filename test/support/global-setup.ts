// One DynamoDB Local and one local S3 (s3rver) for the whole test run; test files get their own tables and buckets
// (see dynamo.ts, archive.ts).
import type { TestProject } from 'vitest/node';
import { type LocalDynamo, startDynamoLocal } from '#shared/local/dynamodb-local.ts';
import { type LocalS3, startS3Local } from '#shared/local/s3-local.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    dynamoEndpoint: string;
    s3Endpoint: string;
  }
}

let dynamo: LocalDynamo | undefined;
let s3: LocalS3 | undefined;

export async function setup(project: TestProject): Promise<void> {
  [dynamo, s3] = await Promise.all([startDynamoLocal(), startS3Local()]);
  project.provide('dynamoEndpoint', dynamo.endpoint);
  project.provide('s3Endpoint', s3.endpoint);
}

export async function teardown(): Promise<void> {
  await Promise.all([dynamo?.stop(), s3?.stop()]);
}
