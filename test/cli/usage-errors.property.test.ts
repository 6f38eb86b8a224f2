// Property-based test of commander's own argument errors, an input boundary: an unknown option or an option without
// its value, wherever `--json` stands among the arguments, prints exactly one `{ ok: false, error: 'UsageError' }`
// line on stdout and exits 1; without `--json` stdout stays empty. In process: each case fails while parsing, before
// any action (and so any DynamoDB) runs.
import { fc, test } from '@fast-check/vitest';
import type { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, vi } from 'vitest';
import { buildProgram, main } from '#cli/main.ts';

const VERBS = ['validate', 'ingest', 'rollup', 'kpis', 'detect', 'check-backups', 'report', 'runs', 'watchdog'];

function optionNames(command: Command): string[] {
  return [
    ...command.options.flatMap((o) => [o.long, o.short].filter((n): n is string => n !== undefined)),
    ...command.commands.flatMap(optionNames),
  ];
}
const KNOWN = new Set([...optionNames(buildProgram()), '--help', '-h', '--version', '-V']);

/** Options that take a value, per verb; given last and alone, each is missing it. */
const NEEDS_VALUE: Record<string, string[]> = {
  rollup: ['--from', '--to'],
  kpis: ['--from', '--to', '--granularity', '--kpi'],
  detect: ['--date', '--from', '--to'],
  runs: ['--job', '--limit'],
  watchdog: ['--at', '--jobs'],
};

const unknownOption = fc
  .stringMatching(/^[a-z][a-z0-9-]{0,12}$/)
  .map((name) => `--${name}`)
  .filter((name) => !KNOWN.has(name));

/** [argv after `nightshift`, where --json may go]: a verb and a bad option, --json allowed anywhere before the end. */
const badArguments = fc.oneof(
  fc.tuple(fc.constantFrom(...VERBS), unknownOption).map(([verb, option]) => [verb, option]),
  fc
    .constantFrom(...Object.keys(NEEDS_VALUE))
    .chain((verb) => fc.constantFrom(...NEEDS_VALUE[verb]!).map((option) => [verb, option])),
);

let stdout: string[] = [];
let stderr = '';

beforeEach(() => {
  stdout = [];
  stderr = '';
  vi.spyOn(console, 'log').mockImplementation((line: string) => void stdout.push(line));
  vi.spyOn(console, 'error').mockImplementation(() => undefined);
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  vi.spyOn(process.stderr, 'write').mockImplementation((text) => {
    stderr += String(text);
    return true;
  });
});
afterEach(() => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
});

async function run(args: string[]): Promise<{ code: number | string | undefined; stdout: string[]; stderr: string[] }> {
  stdout = [];
  stderr = '';
  process.exitCode = undefined;
  await main(['node', 'nightshift', ...args]);
  const code = process.exitCode;
  process.exitCode = undefined;
  return { code, stdout, stderr: stderr.trimEnd().split('\n') };
}

/** The error, perhaps commander's guess at the option meant, and where the verb's help is: never the help itself. */
function expectErrorAndPointer(lines: string[], verb: string): void {
  expect(lines[0]).toMatch(/^error: /);
  expect(lines.at(-1)).toBe(`see nightshift ${verb} --help`);
  expect(lines.length).toBeLessThanOrEqual(3);
}

describe("commander's argument errors", () => {
  test.prop([badArguments, fc.nat()], { numRuns: 60 })(
    'with --json anywhere before the bad option: exit 1 and one UsageError document on stdout',
    async (args, at) => {
      const withJson = args.toSpliced(at % args.length, 0, '--json');

      const result = await run(withJson);

      expect(result.code).toBe(1);
      expect(result.stdout).toHaveLength(1);
      expect(JSON.parse(result.stdout[0]!)).toEqual({ ok: false, error: 'UsageError', message: expect.any(String) });
      expectErrorAndPointer(result.stderr, args[0]!);
    },
  );

  test.prop([badArguments], { numRuns: 30 })(
    'without --json: exit 1, nothing on stdout, the error and a pointer to the help on stderr',
    async (args) => {
      const result = await run(args);

      expect(result.code).toBe(1);
      expect(result.stdout).toEqual([]);
      expectErrorAndPointer(result.stderr, args[0]!);
    },
  );
});
