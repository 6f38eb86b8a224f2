// One DynamoDB Local and one local SES for the whole test run; test files get their own tables (see dynamo.ts).
import type { TestProject } from 'vitest/node';
import { type LocalDynamo, startDynamoLocal } from '#shared/local/dynamodb-local.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    dynamoEndpoint: string;
  }
}

let dynamo: LocalDynamo | undefined;

export async function setup(project: TestProject): Promise<void> {
  dynamo = await startDynamoLocal();
  project.provide('dynamoEndpoint', dynamo.endpoint);
}

export async function teardown(): Promise<void> {
  await dynamo?.stop();
}
