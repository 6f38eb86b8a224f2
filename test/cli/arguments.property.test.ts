// Property-based test of the command line, an input boundary: whatever the arguments, `nightshift` runs or exits 1
// with an error line, and never prints a stack trace. Each case is a real CLI process on the test run's DynamoDB
// (--endpoint, so no DynamoDB Local per case), in a scratch working directory with a few input files.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fc, test } from '@fast-check/vitest';
import { afterAll, describe, expect, inject } from 'vitest';
import { runCli } from '../local/processes.ts';

const STACK_LINE = /^\s+at .+:\d+:\d+\)?$/m;

// Dates far ahead, so that no range depends on today's date: alone, --from is after "yesterday" (an error), and any
// range spans two days at most.
const DATES = ['2999-01-01', '2999-01-02', '2999-02-30', '2999-13-01', '01/02/2999', '2999-1-1', 'yesterday'];
const INSTANTS = ['2999-01-01T03:45+08:00', '2999-01-01T03:45Z', '2999-01-01T03:45', '2999-01-01', 'now'];
const FILES = ['events.jsonl', 'events.csv', 'empty.jsonl', 'missing.jsonl', '.', ''];
// Free text never holds a path separator, so a file it names stays in the working directory; nor NUL, which no
// argument can hold.
const text = fc.string({ maxLength: 12 }).filter((s) => !s.includes('/') && !s.includes('\0'));
const oneOf = (values: string[]) => fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...values) }, text);
const list = (values: string[]) => fc.array(oneOf(values), { minLength: 1, maxLength: 3 }).map((v) => v.join(','));
const NUMBERS = ['0', '1', '-1', '2.5', '1e999', 'NaN', '10'];

/** Each verb with the options it knows, their values drawn mostly from what they expect. `demo` and `inbox` are left
 * out (a whole night; a server until Ctrl-C), and so is `check-backups --aws` (it calls AWS). */
const VERBS: Record<string, { args?: fc.Arbitrary<string[]>; options: Record<string, fc.Arbitrary<string> | null> }> = {
  validate: { args: fc.array(oneOf(['nightshift.config.yaml', ...FILES]), { maxLength: 1 }), options: {} },
  ingest: { args: fc.array(oneOf(FILES), { maxLength: 2 }), options: {} },
  rollup: { options: { '--from': oneOf(DATES), '--to': oneOf(DATES) } },
  kpis: {
    options: {
      '--from': oneOf(DATES),
      '--to': oneOf(DATES),
      '--granularity': oneOf(['day', 'week', 'month']),
      '--kpi': list(['new_users', 'dau', 'nps', 'roi']),
    },
  },
  detect: { options: { '--date': oneOf(DATES), '--from': oneOf(DATES), '--to': oneOf(DATES) } },
  'check-backups': { options: { '--only': list(['orders_payments', 'nope']) } },
  report: {
    args: fc.array(oneOf(['daily', 'weekly', 'monthly']), { maxLength: 1 }),
    options: {
      '--date': oneOf(DATES),
      '--out': oneOf(['report.html', '.', '']),
      '--to': oneOf(['ops_director', 'market_ops', 'nobody']),
      '--send': null,
    },
  },
  runs: {
    options: {
      '--job': oneOf(['rollup-kpis', 'detect-anomalies', 'check-backups', 'reports']),
      '--limit': oneOf(NUMBERS),
    },
  },
  watchdog: {
    options: { '--at': oneOf(INSTANTS), '--jobs': list(['rollup-kpis', 'detect-anomalies', 'check-backups', 'nope']) },
  },
  'config-reference': { options: { '--write': oneOf(['README.md', 'report.html', '']) } },
};

/** A verb, some of its options (a flag alone, an option with a value, or without the value it needs), positionals. */
const wellFormed = fc.constantFrom(...Object.keys(VERBS)).chain((verb) => {
  const spec = VERBS[verb]!;
  const option = Object.keys(spec.options).length
    ? fc.constantFrom(...Object.keys(spec.options)).chain((name) => {
        const value = spec.options[name];
        return value
          ? fc.oneof({ weight: 5, arbitrary: value.map((v) => [name, v]) }, fc.constant([name]))
          : fc.constant([name]);
      })
    : fc.constant<string[]>([]);
  return fc
    .tuple(spec.args ?? fc.constant<string[]>([]), fc.array(option, { maxLength: 3 }), fc.boolean())
    .map(([args, options, json]) => [verb, ...args, ...options.flat(), ...(json ? ['--json'] : [])]);
});

/** Anything: verbs, options of any verb, values and free text in any order. */
const OPTION_NAMES = [...new Set(Object.values(VERBS).flatMap((v) => Object.keys(v.options)))];
const token = fc.oneof(
  fc.constantFrom(...Object.keys(VERBS), 'help'),
  fc.constantFrom(...OPTION_NAMES, '--json', '--help', '-h', '--', '--nope', '-x'),
  fc.constantFrom(...DATES, ...INSTANTS, ...FILES, ...NUMBERS),
  text,
);
const anyTokens = fc.array(token, { minLength: 1, maxLength: 6 });

const argv = fc.oneof({ weight: 3, arbitrary: wellFormed }, { weight: 1, arbitrary: anyTokens });

describe('nightshift arguments', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'nightshift-argv-'));
  writeFileSync(
    join(cwd, 'events.jsonl'),
    [
      '{"messageId":"argv-1","event":"Signed Up","userId":"u_1","timestamp":"2999-01-01T08:00:00+08:00"}',
      '{"messageId":"argv-2","event":"Order Completed","userId":"u_1","timestamp":"2999-01-01T09:00:00+08:00","properties":{"orderId":"o_1","revenue":1e999}}',
      'not json',
    ].join('\n'),
  );
  writeFileSync(
    join(cwd, 'events.csv'),
    'messageId,event,userId,timestamp\nargv-3,Page Viewed,u_2,2999-01-01T10:00:00Z\n,,,\n',
  );
  writeFileSync(join(cwd, 'empty.jsonl'), '');
  writeFileSync(join(cwd, 'README.md'), '# no generated section here\n');
  afterAll(() => rmSync(cwd, { recursive: true, force: true }));

  test.prop([argv], { numRuns: 15 })(
    'any arguments run, or exit 1 with an error message, never a stack trace',
    async (args) => {
      const globals = ['--data', join(cwd, 'data'), '--endpoint', inject('dynamoEndpoint')];

      const run = await runCli([...globals, ...args], { cwd, timeoutMs: 30_000 });

      expect(run.signal).toBeNull();
      expect([0, 1]).toContain(run.code);
      if (run.code !== 0) expect(run.stderr.trim()).not.toBe('');
      expect(run.stderr).not.toMatch(STACK_LINE);
      expect(run.stdout).not.toMatch(STACK_LINE);
    },
    120_000,
  );
});
