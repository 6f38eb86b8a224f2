// Reading an events file in chunks: large chunks make large packs, and long lines make a chunk shorter so that a
// file of long lines does not fill the memory.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readEventFile } from '#shared/events/files.ts';

const dir = mkdtempSync(join(tmpdir(), 'nightshift-files-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function chunkSizes(path: string, chunkSize: number): Promise<number[]> {
  const sizes: number[] = [];
  for await (const chunk of readEventFile(path, chunkSize, 0)) sizes.push(chunk.length);
  return sizes;
}

describe('readEventFile chunks', () => {
  it('short lines come in chunks of the given number of lines', async () => {
    const path = join(dir, 'short.jsonl');
    writeFileSync(path, `${Array.from({ length: 25 }, (_, i) => `{"n":${i}}`).join('\n')}\n`);

    expect(await chunkSizes(path, 10)).toEqual([10, 10, 5]);
  });

  it('a chunk of long lines ends once it holds 16 million characters, whatever the line count', async () => {
    const path = join(dir, 'long.jsonl');
    const line = `{"p":"${'x'.repeat(249_992)}"}`; // 250,000 characters
    writeFileSync(path, `${Array.from({ length: 70 }, () => line).join('\n')}\n`);

    expect(await chunkSizes(path, 50_000)).toEqual([64, 6]);
  });
});
