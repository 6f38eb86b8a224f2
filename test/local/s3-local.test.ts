// The local S3 (s3rver) runs in its own process under a supervisor: it must not outlive the process that started it,
// however that process ends.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createS3Archive, createS3Client, ensureBucket } from '#shared/archive/s3.ts';
import { LOCAL_S3, startS3Local } from '#shared/local/s3-local.ts';
import { descendants, eventually, isRunning, REPO } from './processes.ts';

/** A Node process that starts s3rver, says where, and waits. */
function starter() {
  const module = join(REPO, 'shared', 'local', 's3-local.ts');
  const child = spawn(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `const { startS3Local } = await import(${JSON.stringify(module)}); const s3 = await startS3Local(); console.log(s3.endpoint); setInterval(() => {}, 60_000);`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const endpoint = new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(out.trim());
    });
    child.once('exit', (code) => reject(new Error(`the starter exited (${code}) before s3rver was up`)));
  });
  return { child, endpoint };
}

describe('s3rver, the local S3', () => {
  const started: number[] = [];
  afterAll(() => {
    for (const pid of started) if (isRunning(pid)) process.kill(pid, 'SIGKILL');
  });

  it('stores, lists and returns objects through the S3 API, and stops with stop()', async () => {
    const s3 = await startS3Local();
    const client = createS3Client({ endpoint: s3.endpoint, ...LOCAL_S3 });
    await ensureBucket(client, 'local-check');
    await ensureBucket(client, 'local-check');
    const archive = createS3Archive({ client, bucket: 'local-check' });
    await archive.put('events/day=2026-11-22/a', Buffer.from('one'));
    expect(await archive.list('events/')).toEqual(['events/day=2026-11-22/a']);
    expect(Buffer.from((await archive.get('events/day=2026-11-22/a'))!).toString()).toBe('one');
    expect(await archive.get('events/day=2026-11-22/missing')).toBeUndefined();
    await s3.stop();
    await expect(archive.list('events/')).rejects.toThrow();
  });

  it('stops when the process that started it is killed with SIGKILL', async () => {
    const { child, endpoint } = starter();
    await endpoint;
    const supervisors = descendants(child.pid!).filter((p) => p.args.includes('s3-supervisor.ts'));
    started.push(child.pid!, ...supervisors.map((p) => p.pid));
    expect(supervisors).toHaveLength(1);

    child.kill('SIGKILL');
    expect(await eventually(() => !isRunning(supervisors[0]!.pid))).toBe(true);
  });
});
