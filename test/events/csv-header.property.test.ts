// A CSV file's header is checked once, before any row: a header that lacks a required column, or that is separated by
// something else than commas, fails the file with one message instead of a rejection per row. Property-based, as an
// input boundary: the order of the columns and any extra (property) columns never matter; a missing one is named.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fc, test } from '@fast-check/vitest';
import { afterAll, describe, expect, it } from 'vitest';
import {
  checkCsvHeader,
  csvHeaderMessage,
  EventFileError,
  parseCsvLine,
  REQUIRED_COLUMNS,
  readEventFile,
} from '#shared/events/files.ts';

const required: readonly string[] = REQUIRED_COLUMNS;
/** Extra columns: property names, userId and anonymousId, anything a header may hold besides the required ones. */
const extras = fc.array(fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('userId', 'anonymousId', 'revenue')), {
  maxLength: 6,
});
/** A permutation of `items`. */
const shuffled = <T>(items: readonly T[]) =>
  fc.shuffledSubarray([...items], { minLength: items.length, maxLength: items.length });

describe('the CSV header check', () => {
  test.prop([extras.chain((more) => shuffled([...required, ...more]))])(
    'any order of the required columns, with any extra columns, is accepted',
    (columns) => {
      expect(checkCsvHeader(columns)).toBeUndefined();
    },
  );

  test.prop([
    fc
      .record({
        removed: fc.subarray([...required], { minLength: 1 }),
        // Not one that reads as another separator: that message leads with the separator (tested below).
        more: extras.map((xs) => xs.filter((x) => !required.includes(x) && !/[;\t|]/.test(x))),
      })
      .chain(({ removed, more }) =>
        shuffled([...required.filter((c) => !removed.includes(c)), ...more]).map((columns) => ({ removed, columns })),
      ),
  ])('a header without any required column is rejected, naming each one missing', ({ removed, columns }) => {
    const problem = checkCsvHeader(columns);

    expect(problem?.missing).toEqual(required.filter((c) => removed.includes(c)));
    const [first] = csvHeaderMessage('events.csv', problem!).split('\n');
    expect(first).toMatch(/^events\.csv: the CSV header lacks the required columns? /);
    for (const c of removed) expect(first).toContain(c);
  });

  it('names the columns found, those required and the column most likely meant', () => {
    const problem = checkCsvHeader(parseCsvLine('msg_id,event,userId,timestamp,revenue'))!;

    expect(csvHeaderMessage('orders.csv', problem)).toBe(
      [
        'orders.csv: the CSV header lacks the required column messageId; nothing was ingested',
        '  columns found:    msg_id, event, userId, timestamp, revenue',
        '  columns required: messageId, event, timestamp (userId or anonymousId optional; any other column is a property)',
        '  column msg_id: did you mean messageId?',
      ].join('\n'),
    );
  });

  it.each([
    ['message_id,event,timestamp', 'message_id', 'messageId'],
    ['MessageID,event,timestamp', 'MessageID', 'messageId'],
    ['messageId,Event,timestamp', 'Event', 'event'],
    ['messageId,events,timestamp', 'events', 'event'],
    ['messageId,event,ts', 'ts', 'timestamp'],
    ['messageId,event,time', 'time', 'timestamp'],
    ['messageId,event_name,timestamp', 'event_name', 'event'],
  ])('%s: column %s most likely means %s', (header, column, meant) => {
    expect(checkCsvHeader(parseCsvLine(header))?.meant).toEqual([{ column, required: meant }]);
  });

  it('a column name with a blank at an end is quoted, so the blank shows', () => {
    const problem = checkCsvHeader(parseCsvLine('messageId, event,timestamp'))!;

    expect(csvHeaderMessage('a.csv', problem).split('\n').slice(1)).toEqual([
      '  columns found:    messageId, " event", timestamp',
      '  columns required: messageId, event, timestamp (userId or anonymousId optional; any other column is a property)',
      '  column " event": did you mean event?',
    ]);
  });

  it('guesses nothing from a column unlike any required one', () => {
    expect(checkCsvHeader(parseCsvLine('id,type,timestamp,revenue'))?.meant).toEqual([]);
  });

  it.each([
    ['messageId;event;userId;timestamp', ';', 'semicolons'],
    ['messageId\tevent\tuserId\ttimestamp', '\t', 'tabs'],
    ['"messageId";"event";"timestamp";"revenue, EUR"', ';', 'semicolons'],
  ])('a header separated by another character says so: %j', (header, separator, word) => {
    const problem = checkCsvHeader(parseCsvLine(header))!;

    expect(problem.separator).toBe(separator);
    expect(csvHeaderMessage('export.csv', problem).split('\n')[0]).toBe(
      `export.csv: the CSV header is separated by ${word}, not commas; nothing was ingested`,
    );
  });
});

describe('reading a CSV file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nightshift-csv-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };
  const row = 'm-1,Signed Up,u_1,2026-11-22T10:00:00+08:00';

  it('a header without a required column fails the file before any row is read', async () => {
    const path = file('bad.csv', `msg_id,event,userId,timestamp\n${row}\n`);
    const chunks: unknown[] = [];

    const reading = (async () => {
      for await (const chunk of readEventFile(path, 500, 0)) chunks.push(chunk);
    })();

    await expect(reading).rejects.toThrow(EventFileError);
    await expect(reading).rejects.toThrow(`${path}: the CSV header lacks the required column messageId`);
    expect(chunks).toEqual([]);
  });

  it('a byte order mark before the header (as Excel saves UTF-8) is not part of the first column', async () => {
    const path = file('bom.csv', `\uFEFFmessageId,event,userId,timestamp\n${row}\n`);
    const messages = [];

    for await (const chunk of readEventFile(path, 500, 0)) messages.push(...chunk);

    expect(messages.map((m) => JSON.parse(m.body).messageId)).toEqual(['m-1']);
  });
});
