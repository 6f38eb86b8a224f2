// `nightshift ingest` with a CSV file whose header cannot be read as events: one message naming the file, the columns
// found and required and the one most likely meant, exit 1, and nothing stored, not even from the files named before
// it. It used to store nothing of the file either, but said so as one missing_message_id rejection per row. Real CLI
// processes, on the test run's DynamoDB (--endpoint) and a fixed --now.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { forEachEventOfDay } from '#shared/events/events-store.ts';
import { createDynamoStore, ensureTables } from '#shared/store/dynamodb.ts';
import { tableNames } from '#shared/store/tables.ts';
import { runCli } from '../local/processes.ts';
import { exampleConfig } from '../support/config.ts';
import { localClient } from '../support/dynamo.ts';

const cwd = mkdtempSync(join(tmpdir(), 'nightshift-csv-header-'));
afterAll(() => rmSync(cwd, { recursive: true, force: true }));
const DAY = '2026-11-30';
const id = `csv-header-${randomUUID()}`;
writeFileSync(
  join(cwd, 'first.jsonl'),
  `${JSON.stringify({ messageId: `${id}-json`, event: 'Signed Up', userId: 'u_1', timestamp: `${DAY}T09:00:00+08:00` })}\n`,
);
const rows = [1, 2, 3].map((i) => `${id}-${i},Page Viewed,u_${i},${DAY}T10:0${i}:00+08:00`).join('\n');
writeFileSync(join(cwd, 'msg.csv'), `msg_id,event,userId,timestamp\n${rows}\n`);
writeFileSync(join(cwd, 'semicolons.csv'), `messageId;event;userId;timestamp\n${rows.replaceAll(',', ';')}\n`);

const cli = (args: string[]) =>
  runCli(
    ['--data', join(cwd, 'data'), '--endpoint', inject('dynamoEndpoint'), '--now', '2026-12-01T03:00+08:00', ...args],
    {
      cwd,
      timeoutMs: 30_000,
    },
  );

/** The messageIds of this test's events stored for DAY, in the example config's tables the CLI writes to. */
async function storedIds(): Promise<string[]> {
  const config = exampleConfig();
  const client = localClient();
  const tables = tableNames(config.name);
  await ensureTables(client, tables);
  const ids: string[] = [];
  await forEachEventOfDay(createDynamoStore({ client, tables }), DAY, config.ingest.shardsPerDay, (e) => {
    if (e.messageId.startsWith(id)) ids.push(e.messageId);
  });
  return ids;
}

describe('ingest of a CSV file whose header is not what events need', () => {
  it('a misspelt column: one message naming the file, the columns and the one meant; exit 1; nothing stored', async () => {
    const run = await cli(['ingest', 'first.jsonl', 'msg.csv']);

    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toBe(
      [
        'nightshift: msg.csv: the CSV header lacks the required column messageId; nothing was ingested',
        '  columns found:    msg_id, event, userId, timestamp',
        '  columns required: messageId, event, timestamp (userId or anonymousId optional; any other column is a property)',
        '  column msg_id: did you mean messageId?',
      ].join('\n'),
    );
    expect(run.stdout).not.toMatch(/stored|rejected/);
    expect(await storedIds()).toEqual([]);
  });

  it('a header separated by semicolons says so; exit 1; nothing stored', async () => {
    const run = await cli(['ingest', 'semicolons.csv']);

    expect(run.code).toBe(1);
    expect(run.stderr.split('\n')[0]).toBe(
      'nightshift: semicolons.csv: the CSV header is separated by semicolons, not commas; nothing was ingested',
    );
    expect(await storedIds()).toEqual([]);
  });
});
