// What `nightshift ingest` says when a team loads its history: blank lines are skipped and counted (not quarantined,
// not silently dropped), and days no rollup has counted yet are "not rolled up yet", not "late". Real CLI processes on
// the test run's DynamoDB (--endpoint), their own tables, and a fixed --now.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { REPO, runCli } from '../local/processes.ts';

const cwd = mkdtempSync(join(tmpdir(), 'nightshift-history-'));
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

/** A copy of the example config (Asia/Shanghai, recomputeDays 0) under a fresh name: its tables are its own. */
function scratchConfig(): string {
  const name = `history-${Math.random().toString(36).slice(2, 10)}`;
  const file = join(cwd, `${name}.yaml`);
  writeFileSync(
    file,
    readFileSync(join(REPO, 'nightshift.config.yaml'), 'utf8').replace(/^name: .*$/m, `name: ${name}`),
  );
  return file;
}

const line = (messageId: string, day: string) =>
  JSON.stringify({ messageId, event: 'Signed Up', userId: 'u_1', timestamp: `${day}T10:00:00+08:00` });

function file(name: string, lines: string[]): string {
  writeFileSync(join(cwd, name), `${lines.join('\n')}\n`);
  return name;
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
      '2026-11-30T03:00+08:00',
      ...args,
    ],
    { cwd, timeoutMs: 60_000 },
  );

describe('nightshift ingest of a history', () => {
  it('skips blank lines and counts them, and quarantines a line that is not JSON', async () => {
    const events = file('blank.jsonl', [line('b1', '2026-11-29'), '', '   ', 'not json', line('b2', '2026-11-29')]);

    const run = await cli(scratchConfig(), ['ingest', events]);
    const json = await cli(scratchConfig(), ['--json', 'ingest', events]);

    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      'stored 2 unique events (0 duplicates in the input stored once)\nskipped 2 blank lines\n',
    );
    expect(run.stdout).toContain('rejected 1 (kept in quarantine):\n  not_json: 1\n');
    expect(JSON.parse(json.stdout)).toMatchObject({ accepted: 2, blankLines: 2, rejected: 1 });
  });

  it('days no rollup has counted are "not rolled up yet", with the rollup to run; a day rolled up before is late', async () => {
    const config = scratchConfig();
    const history = file('history.jsonl', [
      line('h1', '2026-10-01'),
      line('h2', '2026-10-02'),
      line('h3', '2026-11-28'),
    ]);

    const first = await cli(config, ['ingest', history]);
    await cli(config, ['rollup', '--from', '2026-10-01', '--to', '2026-10-01']);
    const later = await cli(config, [
      'ingest',
      file('later.jsonl', [line('l1', '2026-10-01'), line('l2', '2026-10-02')]),
    ]);

    expect(first.code).toBe(0);
    expect(first.stdout).not.toContain('late events');
    expect(first.stdout).toContain(
      'events for 2026-10-01, 2026-10-02, 2026-11-28: not rolled up yet, marked for the nightly rollup (or now: nightshift rollup --from 2026-10-01 --to 2026-11-28)\n',
    );
    expect(later.stdout).toContain('late events for 2026-10-01: marked for recomputation\n');
    expect(later.stdout).toContain('events for 2026-10-02: not rolled up yet');
  });
});

// A new user's trial: a bogus order under the messageId of a real page view was counted among "1453 duplicates", and of
// 12 quarantined lines only 5 were named, with no way to list the rest.
describe('nightshift ingest and quarantine: every rejected line can be found', () => {
  const pageView = { messageId: 'pv-1', event: 'Page Viewed', userId: 'v1', timestamp: '2026-11-29T10:00:00+08:00' };
  const lines = [
    JSON.stringify({ ...pageView, properties: { path: '/' } }),
    // A resend: keys in another order, the same instant in UTC, a retry's sentAt.
    '{"properties":{"path":"/"},"sentAt":"2026-11-29T02:00:09Z","timestamp":"2026-11-29T02:00:00Z","userId":"v1","event":"Page Viewed","messageId":"pv-1"}',
    JSON.stringify({ ...pageView, event: 'Order Completed', properties: { revenue: 5000 } }),
    'not json',
  ];
  const csv = [
    'messageId,event,userId,timestamp,profit',
    'c1,Order Completed,u1,2026-11-29T10:00:00+08:00,30.50',
    'c2,Order Completed,u2,2026-11-29T11:00:00+08:00,"1,250.00"',
    'c3,Order Completed,u3,2026-11-29T12:00:00+08:00,$99.00',
  ];

  it('a reused messageId is told apart from the duplicates, and --json lists every rejected line with its file and line', async () => {
    const config = scratchConfig();
    const files = [file('trial.jsonl', lines), file('orders.csv', csv)];

    const run = await cli(config, ['ingest', ...files]);
    const json = await cli(config, ['--json', 'ingest', ...files]);

    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      [
        'stored 2 unique events (1 duplicates in the input stored once)',
        '1 line reused the messageId of a different event: kept the first, quarantined this one with reason reused_message_id:',
        `  trial.jsonl:3: messageId pv-1 already carried another event, "Page Viewed" at 2026-11-29T02:00:00.000Z (trial.jsonl:1); this line's "Order Completed" differs in its event name and properties, so it is no resend: the first is kept, this one is not stored; send it with a messageId of its own`,
        'rejected 4 (kept in quarantine):',
      ].join('\n'),
    );
    expect(run.stdout).toContain('  orders.csv:3 not_a_number: properties.profit is the text "1,250.00", not a number');
    expect(run.stdout).toContain('send the number 99.00');
    expect(JSON.parse(json.stdout)).toMatchObject({
      accepted: 2,
      duplicates: 1,
      rejected: 4,
      rejectedByReason: { reused_message_id: 1, not_json: 1, not_a_number: 2 },
      rejectedLines: [
        { source: 'trial.jsonl:3', file: 'trial.jsonl', line: 3, reason: 'reused_message_id' },
        { source: 'trial.jsonl:4', file: 'trial.jsonl', line: 4, reason: 'not_json' },
        { source: 'orders.csv:3', file: 'orders.csv', line: 3, reason: 'not_a_number' },
        { source: 'orders.csv:4', file: 'orders.csv', line: 4, reason: 'not_a_number' },
      ],
    });
  });

  it('nightshift quarantine lists every line kept, with file, line, reason and the line itself; --json too', async () => {
    const config = scratchConfig();
    await cli(config, ['ingest', file('trial.jsonl', lines), file('orders.csv', csv)]);

    const text = await cli(config, ['quarantine']);
    const json = await cli(config, ['--json', 'quarantine']);
    const reused = await cli(config, ['--json', 'quarantine', '--reason', 'reused_message_id']);

    expect(text.code).toBe(0);
    expect(text.stdout.split('\n').slice(0, 4)).toEqual([
      '4 lines in quarantine sent 2026-11-16 … 2026-11-30: 2 not_a_number, 1 reused_message_id, 1 not_json',
      'sent 2026-11-30:',
      '  orders.csv:3  not_a_number: properties.profit is the text "1,250.00", not a number, and sum("Order Completed".profit) (KPI roi) adds up numbers: stored, this event would count in its KPIs\' counts but not in that sum; send the number 1250.00 (in JSON without quotes; in CSV without currency sign or thousands separators) (message c2)',
      '    {"messageId":"c2","event":"Order Completed","userId":"u2","timestamp":"2026-11-29T11:00:00+08:00","properties":{"profit":"1,250.00"}}',
    ]);
    expect(JSON.parse(json.stdout)).toMatchObject({
      from: '2026-11-16',
      to: '2026-11-30',
      quarantined: 4,
      lines: [
        { file: 'orders.csv', line: 3, reason: 'not_a_number', sentDay: '2026-11-30' },
        { file: 'orders.csv', line: 4, reason: 'not_a_number' },
        { file: 'trial.jsonl', line: 3, reason: 'reused_message_id', body: lines[2] },
        { file: 'trial.jsonl', line: 4, reason: 'not_json', body: 'not json' },
      ],
    });
    expect(JSON.parse(reused.stdout).lines.map((l: { source: string }) => l.source)).toEqual(['trial.jsonl:3']);
  });
});
