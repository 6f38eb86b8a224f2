// The handlers as deployed, with their slice of the config baked in and no person in it: a function that plans or
// routes mail reads the people directory from SSM (mocked: no local stand-in) once per cold start and works from it; a
// function given no people reads none and cannot reach any; a parameter edited into nonsense stops the cold start,
// naming what is wrong.

import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { GetParametersCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it, vi } from 'vitest';
import { functionSlice } from '#infra/function-config.ts';
import { peopleContacts, peopleDirectory } from '#shared/config/slice.ts';
import { LOCAL_AWS } from '#shared/local/dynamodb-local.ts';
import { exampleConfig } from '../support/config.ts';
import { freshStore } from '../support/dynamo.ts';
import { lambdaContext } from '../support/lambda.ts';

const config = exampleConfig();
const DIRECTORY = '/nightshift/people/directory';
const CONTACTS = '/nightshift/people/contacts';
const ssm = mockClient(SSMClient);
const sqs = mockClient(SQSClient);
const sent: Array<Record<string, unknown>> = [];

/** What the stack bakes into `name`'s bundle. */
function deployAs(name: string): void {
  Object.assign(globalThis, { __NIGHTSHIFT_CONFIG__: JSON.stringify(functionSlice(name, config)) });
}

/** The directory parameter as an operator left it: the daily report now goes to two people only. */
const directory = { ...peopleDirectory(config), reports: { ...peopleDirectory(config).reports } };
directory.reports.daily = ['ops_director', 'data_analyst'];

function answer(values: Record<string, string>): void {
  ssm.on(GetParametersCommand).callsFake((input: { Names: string[] }) => ({
    Parameters: input.Names.filter((n) => n in values).map((Name) => ({ Name, Type: 'String', Value: values[Name] })),
    InvalidParameters: input.Names.filter((n) => !(n in values)),
  }));
}

let tables: Awaited<ReturnType<typeof freshStore>>['tables'];

beforeAll(async () => {
  ({ tables } = await freshStore('people'));
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  sqs.on(SendMessageBatchCommand).callsFake((input: { Entries: Array<{ Id: string; MessageBody: string }> }) => {
    for (const e of input.Entries) sent.push(JSON.parse(e.MessageBody));
    return { Successful: input.Entries.map((e) => ({ Id: e.Id })), Failed: [] };
  });
});

beforeEach(() => {
  vi.stubEnv('STATE_TABLE', tables.state);
  vi.stubEnv('EVENTS_TABLE', tables.events);
  vi.stubEnv('DELIVERY_QUEUE_URL', 'https://sqs.us-east-1.amazonaws.com/123456789012/delivery');
  vi.stubEnv('AWS_ENDPOINT_URL_DYNAMODB', inject('dynamoEndpoint'));
  vi.stubEnv('AWS_REGION', LOCAL_AWS.region);
  vi.stubEnv('AWS_ACCESS_KEY_ID', LOCAL_AWS.credentials.accessKeyId);
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', LOCAL_AWS.credentials.secretAccessKey);
});

afterEach(() => {
  ssm.reset();
  sent.length = 0;
  vi.unstubAllEnvs();
  // Each test is a cold start: the runtime reads its parameters once per module load.
  vi.resetModules();
});

afterAll(() => {
  vi.restoreAllMocks();
  sqs.restore();
  ssm.restore();
});

describe('a function that plans mail', () => {
  it('plan-reports plans for the recipients the directory parameter lists, not a baked list', async () => {
    vi.stubEnv('PEOPLE_DIRECTORY_PARAMETER', DIRECTORY);
    answer({ [DIRECTORY]: JSON.stringify(directory) });
    deployAs('plan-reports');
    const { handler } = await import('#functions/plan-reports/handler.ts');

    await handler(
      { job: 'plan-reports', scheduledTime: '2026-11-22T21:00:00Z', reportId: 'daily' },
      lambdaContext('plan-reports'),
    );

    expect(sent.map((m) => m.recipientId)).toEqual(['ops_director', 'data_analyst']);
  });

  it('reads the directory once per cold start, however many invocations follow', async () => {
    vi.stubEnv('PEOPLE_DIRECTORY_PARAMETER', DIRECTORY);
    answer({ [DIRECTORY]: JSON.stringify(directory) });
    deployAs('plan-reports');
    const { handler } = await import('#functions/plan-reports/handler.ts');

    for (const reportId of ['daily', 'weekly', 'monthly']) {
      await handler(
        { job: 'plan-reports', scheduledTime: '2026-11-30T21:00:00Z', reportId },
        lambdaContext('plan-reports'),
      );
    }

    expect(ssm.commandCalls(GetParametersCommand).map((c) => c.args[0].input)).toEqual([{ Names: [DIRECTORY] }]);
    expect(sent).toHaveLength(2 + config.reports[1]!.recipients.length + config.reports[2]!.recipients.length);
  });

  it('the sender reads the directory and the contacts in one call, and knows each person’s address from it', async () => {
    vi.stubEnv('PEOPLE_DIRECTORY_PARAMETER', DIRECTORY);
    vi.stubEnv('PEOPLE_CONTACTS_PARAMETER', CONTACTS);
    const contacts = peopleContacts(config);
    contacts.ops_director = { name: 'Sun Mei', email: 'sun.mei@example.net' };
    answer({ [DIRECTORY]: JSON.stringify(directory), [CONTACTS]: JSON.stringify(contacts) });
    deployAs('send-email');

    const { lambdaRuntime } = await import('#functions/runtime.ts');
    const { config: deployed, people } = lambdaRuntime();

    expect(ssm.commandCalls(GetParametersCommand).map((c) => c.args[0].input)).toEqual([
      { Names: [DIRECTORY, CONTACTS] },
    ]);
    expect(deployed.people.find((p) => p.id === 'ops_director')).toEqual({
      ...config.people.find((p) => p.id === 'ops_director'),
      email: 'sun.mei@example.net',
    });
    expect(deployed.reports.find((r) => r.id === 'daily')?.recipients).toEqual(['ops_director', 'data_analyst']);
    expect(deployed.responsePlans).toEqual(config.responsePlans);
    // The log scrubber blanks the names and addresses this function holds.
    expect(people).toContainEqual({ name: 'Sun Mei', email: 'sun.mei@example.net' });
  });

  it('a router knows ids, roles and departments, and no name or address', async () => {
    vi.stubEnv('PEOPLE_DIRECTORY_PARAMETER', DIRECTORY);
    answer({ [DIRECTORY]: JSON.stringify(directory) });
    deployAs('detect-anomalies');

    const { lambdaRuntime } = await import('#functions/runtime.ts');
    const { config: deployed, people } = lambdaRuntime();

    expect(deployed.people).toEqual(directory.people);
    expect(JSON.stringify(deployed)).not.toMatch(/@example\./);
    expect(deployed.responsePlans).toEqual(config.responsePlans);
    expect(people).toEqual([]);
  });
});

describe('a function given no people', () => {
  it('ingest-events reads no parameter and cannot reach people or any section it was not given', async () => {
    deployAs('ingest-events');

    const { lambdaRuntime } = await import('#functions/runtime.ts');
    const { config: deployed } = lambdaRuntime();

    expect(ssm.commandCalls(GetParametersCommand)).toHaveLength(0);
    expect(() => deployed.people).toThrow(/config\.people is not part of this function’s deployment/);
    expect(() => deployed.reports).toThrow(/config\.reports is not part of this function’s deployment/);
    expect(deployed.ingest).toEqual(config.ingest);
  });
});

describe('a people parameter that cannot be used', () => {
  it('stops the cold start, naming the unknown recipient', async () => {
    vi.stubEnv('PEOPLE_DIRECTORY_PARAMETER', DIRECTORY);
    answer({ [DIRECTORY]: JSON.stringify({ ...directory, reports: { daily: ['ops_director', 'nobody_here'] } }) });
    deployAs('plan-reports');

    await expect(import('#functions/plan-reports/handler.ts')).rejects.toThrow(
      `parameter ${DIRECTORY}: reports.daily.1: unknown person 'nobody_here'`,
    );
  });

  it('stops the cold start when a report the function plans has no recipients listed', async () => {
    vi.stubEnv('PEOPLE_DIRECTORY_PARAMETER', DIRECTORY);
    answer({ [DIRECTORY]: JSON.stringify({ ...directory, reports: { daily: ['ops_director'] } }) });
    deployAs('plan-reports');

    const { lambdaRuntime } = await import('#functions/runtime.ts');

    expect(() => lambdaRuntime()).toThrow('directory: reports.weekly: no recipients listed');
  });

  it('stops the cold start when a parameter is missing, naming it', async () => {
    vi.stubEnv('PEOPLE_DIRECTORY_PARAMETER', DIRECTORY);
    vi.stubEnv('PEOPLE_CONTACTS_PARAMETER', CONTACTS);
    answer({ [DIRECTORY]: JSON.stringify(directory) });
    deployAs('send-email');

    await expect(import('#functions/runtime.ts')).rejects.toThrow(`SSM parameters not found: ${CONTACTS}`);
  });
});
