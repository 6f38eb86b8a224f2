// Starts s3rver (the `s3rver` package: a real S3 API server, objects as files) on a free loopback port for the raw
// event archive, and stops it. It runs in its own process (s3-supervisor.ts) that exits when this process dies, even
// by SIGKILL, as DynamoDB Local does.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, LocalStackError } from './dynamodb-local.ts';

const SUPERVISOR = fileURLToPath(new URL('./s3-supervisor.ts', import.meta.url));
const OUTPUT_TAIL = 4000;
const START_TIMEOUT_MS = 30_000;

/** s3rver's fixed credentials (it checks signatures with them). */
export const LOCAL_S3 = {
  region: 'us-east-1',
  credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
} as const;

export interface LocalS3 {
  endpoint: string;
  stop(): Promise<void>;
}

/** `directory` keeps the objects on disk between runs; without it they live in a temporary folder removed on stop. */
export async function startS3Local(options: { directory?: string } = {}): Promise<LocalS3> {
  const port = await freePort();
  const temporary = options.directory === undefined;
  const directory = options.directory ?? mkdtempSync(join(tmpdir(), 'nightshift-s3-'));
  mkdirSync(directory, { recursive: true });
  const child: ChildProcess = spawn(process.execPath, [SUPERVISOR, JSON.stringify({ port, directory })], {
    stdio: 'pipe',
  });
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  child.stdin?.on('error', () => {});
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new LocalStackError(`s3rver did not start within 30 s: ${output.slice(-500)}`)),
      START_TIMEOUT_MS,
    );
    child.stdout?.on('data', (d: Buffer) => {
      output = (output + d.toString()).slice(-OUTPUT_TAIL);
      if (output.includes('ready\n')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.stderr?.on('data', (d: Buffer) => {
      output = (output + d.toString()).slice(-OUTPUT_TAIL);
    });
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new LocalStackError(`cannot start s3rver: ${error.message}`));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new LocalStackError(`s3rver exited during start-up (${code}): ${output.trim().slice(-500)}`));
    });
  });
  try {
    await ready;
  } catch (error) {
    child.stdin?.destroy();
    throw error;
  }
  return {
    endpoint: `http://127.0.0.1:${port}`,
    async stop() {
      // The same path as our death: the supervisor sees its stdin close and exits.
      child.stdin?.destroy();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
      if (temporary) rmSync(directory, { recursive: true, force: true });
    },
  };
}
