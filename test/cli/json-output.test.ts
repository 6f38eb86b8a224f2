// `--json` output: numbers as a reader means them, without binary float noise, and without losing a real digit.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { jsonLine, plainNumber } from '#cli/json.ts';
import { runCli } from '../local/processes.ts';

describe('plainNumber', () => {
  it('drops the binary noise of decimal sums', () => {
    expect(plainNumber(2227.2599999999998)).toBe(2227.26);
    expect(plainNumber(0.1 + 0.2)).toBe(0.3);
    expect(plainNumber(1.0000000000000002)).toBe(1);
  });

  it('keeps integers, cents of large amounts and the digits of small ratios', () => {
    expect(plainNumber(1_795_000_000_000)).toBe(1_795_000_000_000); // epoch ms
    expect(plainNumber(Number.MAX_SAFE_INTEGER)).toBe(Number.MAX_SAFE_INTEGER);
    expect(plainNumber(9_876_543_210.12)).toBe(9_876_543_210.12);
    expect(plainNumber(0.000123456789)).toBe(0.000123456789);
    expect(plainNumber(-12.345)).toBe(-12.345);
  });
});

describe('jsonLine', () => {
  it('is JSON.stringify with every number, however deep, through plainNumber', () => {
    const value = { a: 2227.2599999999998, b: [0.1 + 0.2, { c: 3 }], d: null, e: 'text 0.30000000000000004', f: NaN };

    expect(jsonLine(value)).toBe('{"a":2227.26,"b":[0.3,{"c":3}],"d":null,"e":"text 0.30000000000000004","f":null}');
  });
});

const root = mkdtempSync(join(tmpdir(), 'nightshift-json-'));
const NOW = ['--now', '2026-11-23T01:00:00+08:00', '--data', join(root, 'data')];

describe('nightshift kpis --json', () => {
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('prints a sum of decimal amounts as it was sent (0.1 + 0.2 is 0.3)', async () => {
    const file = join(root, 'events.jsonl');
    const line = (id: string, event: string, properties: Record<string, unknown>) =>
      JSON.stringify({ messageId: id, event, userId: 'u1', timestamp: '2026-11-22T10:00:00+08:00', properties });
    writeFileSync(
      file,
      [
        line('o1', 'Order Completed', { profit: 0.1, department: 'market' }),
        line('o2', 'Order Completed', { profit: 0.2, department: 'market' }),
        line('m1', 'Marketing Spend', { amount: 1, department: 'market' }),
      ].join('\n'),
    );
    expect((await runCli([...NOW, 'ingest', file], { timeoutMs: 60_000 })).code).toBe(0);

    const kpis = await runCli([...NOW, '--json', 'kpis', '--kpi', 'roi', '--from', '2026-11-22'], {
      timeoutMs: 60_000,
    });

    expect(kpis.code, kpis.stderr).toBe(0);
    const output = kpis.stdout.trim().split('\n').at(-1)!;
    expect(output).not.toContain('0.30000000000000004');
    expect(JSON.parse(output)).toMatchObject([
      { kpi: 'roi', period: '2026-11-22', value: 0.3, inputs: { 'sum("Order Completed".profit)': 0.3 } },
    ]);
  }, 120_000);
});
