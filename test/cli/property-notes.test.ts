// What `nightshift rollup` says about the event properties the formulas read, as a user sees it: a real CLI process on
// the test run's DynamoDB (--endpoint) and a fixed --now, with a config whose formulas name properties the events
// do not have as written.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { REPO, runCli } from '../local/processes.ts';

const cwd = mkdtempSync(join(tmpdir(), 'nightshift-notes-'));
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

/** The example config under its own name (its own tables), with `kpis` appended. */
function writeConfig(file: string, kpis: string[], edit: (text: string) => string = (t) => t): void {
  const example = edit(readFileSync(join(REPO, 'nightshift.config.yaml'), 'utf8'));
  const text = example
    .replace('name: nightshift\n', `name: notes-${process.pid}-${file.replace(/\W/g, '')}\n`)
    .replace('\nresponsePlans:\n', `${kpis.join('\n')}\n\nresponsePlans:\n`);
  writeFileSync(join(cwd, file), text);
}

const cli = (config: string, args: string[]) =>
  runCli(
    [
      '--config',
      config,
      '--data',
      join(cwd, 'data'),
      '--endpoint',
      inject('dynamoEndpoint'),
      '--now',
      '2026-11-23T01:00:00+08:00',
      ...args,
    ],
    { cwd, timeoutMs: 60_000 },
  );

const event = (id: string, name: string, properties: Record<string, unknown>) =>
  JSON.stringify({
    messageId: id,
    event: name,
    userId: 'u1',
    timestamp: '2026-11-22T10:00:00+08:00',
    properties,
  });

describe('nightshift rollup, on a property no event had', () => {
  it('prints a note naming the KPI, the term, the property and the name the events have', async () => {
    writeConfig('absent.yaml', [
      '  - id: signups_by_user',
      '    name: Sign-ups by user',
      '    formula: distinct(user of "Signed Up")',
      '    granularities: [day]',
    ]);
    writeFileSync(join(cwd, 'absent.jsonl'), [event('n1', 'Signed Up', { channel: 'ads' })].join('\n'));
    expect((await cli('absent.yaml', ['ingest', 'absent.jsonl'])).code).toBe(0);

    const run = await cli('absent.yaml', ['rollup']);

    expect(run.code).toBe(0);
    expect(run.stderr).toContain(
      'note: KPI signups_by_user: distinct(user of "Signed Up"): no "Signed Up" event read had the property user (1 event); did you mean userId? (names are matched exactly, case included)\n',
    );
  }, 120_000);
});

describe('nightshift rollup, on amounts sent as strings', () => {
  it('prints how many events the sum skipped and why', async () => {
    writeConfig('strings.yaml', []);
    // Ingest quarantines an amount a formula adds up sent as text: these were stored before ROI summed profit.
    writeConfig('strings-before.yaml', [], (text) =>
      text
        .replace('name: nightshift\n', `name: notes-${process.pid}-stringsyaml\n`)
        .replace('sum("Order Completed".profit)', 'count("Order Completed")'),
    );
    writeFileSync(
      join(cwd, 'strings.jsonl'),
      [
        event('s1', 'Order Completed', { revenue: '12.50', profit: 3, department: 'market' }),
        event('s2', 'Order Completed', { revenue: 40, profit: '9.5', department: 'market' }),
        event('s3', 'Marketing Spend', { amount: 100, department: 'market' }),
      ].join('\n'),
    );
    expect((await cli('strings-before.yaml', ['ingest', 'strings.jsonl'])).code).toBe(0);

    const run = await cli('strings.yaml', ['--json', 'rollup']);

    expect(run.code).toBe(0);
    expect(run.stderr).toContain(
      'note: KPI roi: sum("Order Completed".profit) skipped 1 of the 2 "Order Completed" events read, whose profit was not a number (1 string); send amounts as JSON numbers (12.5, not "12.50")\n',
    );
    expect(JSON.parse(run.stdout.trim().split('\n').at(-1)!).propertyNotes).toEqual([
      expect.objectContaining({ kpis: ['roi'], property: 'profit', problem: 'not_numeric', skipped: 1 }),
    ]);
  }, 120_000);
});

describe('nightshift rollup and detect, on a misspelt event name', () => {
  it('rollup notes the formula and the expected event with the name seen; detect says the stream is not watched', async () => {
    writeConfig(
      'events.yaml',
      ['  - id: refunds', '    name: Refunds', '    formula: count("Order Refundd")', '    granularities: [day]'],
      (text) =>
        text.replace('{ event: Order Completed, maxSilenceHours: 8', '{ event: Order Complted, maxSilenceHours: 8'),
    );
    writeFileSync(
      join(cwd, 'events.jsonl'),
      [
        event('e1', 'Order Completed', { revenue: 10, profit: 2, department: 'market' }),
        event('e2', 'Order Refunded', { orderId: 'o1' }),
        event('e3', 'Page Viewed', {}),
      ].join('\n'),
    );
    expect((await cli('events.yaml', ['ingest', 'events.jsonl'])).code).toBe(0);

    const rollup = await cli('events.yaml', ['rollup']);
    const detect = await cli('events.yaml', ['detect']);

    expect(rollup.code).toBe(0);
    expect(rollup.stderr).toContain(
      'note: KPI refunds: no "Order Refundd" event in the 22 days read (3 events of other names, on 1 day); did you mean "Order Refunded"?',
    );
    expect(rollup.stderr).toContain(
      'note: alerts.expectedEvents: no "Order Complted" event in the 22 days read (3 events of other names, on 1 day); did you mean "Order Completed"?',
    );
    expect(rollup.stderr).not.toContain('"Signed Up" event in');
    expect(detect.code).toBe(0);
    expect(detect.stdout).toContain(
      '2026-11-22  not watched "Order Complted" (alerts.expectedEvents): no such event has arrived yet, and a stream is watched from its first event on; did you mean "Order Completed"?',
    );
  }, 120_000);
});
