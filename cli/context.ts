// The environment a CLI command runs in: the config, and a state store on a local DynamoDB (started for the
// command and stopped after it, data kept under --data) or on a running DynamoDB given by --endpoint. A local DynamoDB
// on disk holds the data folder's lock for the command: one such command per folder at a time. The raw event archive
// is a local S3 (s3rver, objects under <data>/s3), started on first use and stopped with the command.
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ObjectArchive } from '#shared/archive/archive.ts';
import { createS3Archive, createS3Client, ensureBucket } from '#shared/archive/s3.ts';
import { formatWarning, loadConfig } from '#shared/config/load.ts';
import type { NightshiftConfig } from '#shared/config/schema.ts';
import { type DataDirLock, lockDataDir } from '#shared/local/data-lock.ts';
import { LOCAL_AWS, type LocalDynamo, startDynamoLocal } from '#shared/local/dynamodb-local.ts';
import { LOCAL_S3, type LocalS3, startS3Local } from '#shared/local/s3-local.ts';
import { type LocalSes, startSesLocal } from '#shared/local/ses-local.ts';
import { createSesMailer, type Mailer, withOutbox } from '#shared/mailer/mailer.ts';
import { createDocumentClient, createDynamoStore, ensureTables } from '#shared/store/dynamodb.ts';
import type { StateStore } from '#shared/store/store.ts';
import { type TableNames, tableNames } from '#shared/store/tables.ts';

export interface GlobalOptions {
  config: string;
  data: string;
  endpoint?: string;
  json?: boolean;
  /** Keep the local DynamoDB in memory (faster, gone when the command ends). */
  inMemory?: boolean;
  /** Epoch ms the command's clock starts at (`--now`); it then runs on at real speed. Default: the real clock. */
  now?: number;
}

export interface CommandContext {
  config: NightshiftConfig;
  configFile: string;
  dataDir: string;
  store: StateStore;
  tables: TableNames;
  dynamoEndpoint: string;
  /** Tables created by this command (first run). */
  createdTables: string[];
  now: () => number;
  /** Mail through a local SES (started on first use, stopped with the command); every mail also lands in `outbox`. */
  mail(): Promise<{ mailer: Mailer; inboxUrl: string; outbox: string }>;
  /** The raw event archive on a local S3 (s3rver, started on first use, stopped with the command). */
  openArchive(): Promise<ObjectArchive>;
}

/** The local archive bucket of a config (S3 bucket names are lower case). */
export const archiveBucket = (config: NightshiftConfig) => `${config.name.toLowerCase()}-archive`;

/** How a command that says what it is doing starts up. */
export interface StartupOptions {
  /** Told each step of start-up ('starting local DynamoDB (data in ...)…', then how long it took). */
  say?: (line: string) => void;
  /**
   * Gives up start-up when aborted: what was started is stopped (the command waits until it has), the data folder
   * released, and withContext rejects with the signal's reason. Once `run` has begun, stopping is the command's own.
   */
  signal?: AbortSignal;
}

export async function withContext<T>(
  options: GlobalOptions,
  run: (ctx: CommandContext) => Promise<T>,
  startup: StartupOptions = {},
): Promise<T> {
  const { say, signal } = startup;
  const configFile = resolve(options.config);
  // Named as given: 'cannot read nope.yaml: no such file'. Warnings go to stderr, so --json output stays parseable.
  const config = loadConfig(options.config, { onWarning: (w) => console.error(formatWarning(options.config, w)) });
  const dataDir = resolve(options.data);
  mkdirSync(dataDir, { recursive: true });
  signal?.throwIfAborted();
  // Only a DynamoDB Local on the folder's database file conflicts with another command: --endpoint leaves concurrency
  // to that DynamoDB, and an in-memory one shares nothing (the outbox gets one new file per mail).
  const lock: DataDirLock | undefined = options.endpoint || options.inMemory ? undefined : lockDataDir(dataDir);
  let local: LocalDynamo | undefined;
  const started = performance.now();
  try {
    if (!options.endpoint) {
      const dbPath = options.inMemory ? undefined : join(dataDir, 'dynamodb');
      say?.(`starting local DynamoDB (${dbPath ? `data in ${dbPath}` : 'in memory'})…`);
      // Each command starts its own DynamoDB Local and stops it when done: a quick start matters more than warm speed.
      local = await startDynamoLocal({
        ...(dbPath ? { dbPath } : {}),
        quickStart: true,
        ...(signal ? { signal } : {}),
      });
    }
  } catch (error) {
    lock?.release();
    throw error;
  }
  let ses: LocalSes | undefined;
  const outbox = join(dataDir, 'outbox');
  // One clock for the command: the outbox's file names follow `--now` as everything else does.
  const clock = clockFrom(options.now);
  const mail = async () => {
    ses ??= await startSesLocal();
    return {
      mailer: withOutbox(createSesMailer({ endpoint: ses.endpoint, ...LOCAL_AWS }), outbox, clock),
      inboxUrl: ses.inboxUrl,
      outbox,
    };
  };
  let s3: LocalS3 | undefined;
  let archive: Promise<ObjectArchive> | undefined;
  const openArchive = async (): Promise<ObjectArchive> => {
    s3 = await startS3Local(options.inMemory ? {} : { directory: join(dataDir, 's3') });
    const client = createS3Client({ endpoint: s3.endpoint, ...LOCAL_S3 });
    await ensureBucket(client, archiveBucket(config));
    return createS3Archive({ client, bucket: archiveBucket(config) });
  };
  try {
    const dynamoEndpoint = options.endpoint ?? local!.endpoint;
    const client = createDocumentClient({ endpoint: dynamoEndpoint, ...LOCAL_AWS });
    const tables = tableNames(config.name);
    const answered = performance.now();
    signal?.throwIfAborted();
    const createdTables = await ensureTables(client, tables);
    say?.(
      `${local ? `local DynamoDB answered in ${seconds(answered - started)}, ` : `DynamoDB at ${dynamoEndpoint}: `}${
        createdTables.length ? `tables ${createdTables.join(', ')} created` : 'tables checked'
      } in ${seconds(performance.now() - answered)}`,
    );
    signal?.throwIfAborted();
    const store = createDynamoStore({ client, tables });
    return await run({
      config,
      configFile,
      dataDir,
      store,
      tables,
      dynamoEndpoint,
      createdTables,
      now: clock,
      mail,
      openArchive: () => {
        archive ??= openArchive();
        return archive;
      },
    });
  } finally {
    await archive?.catch(() => undefined);
    await s3?.stop();
    await ses?.stop();
    await local?.stop();
    lock?.release();
  }
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** A clock that reads `start` now and runs on at real speed; the real clock without a start. */
export function clockFrom(start: number | undefined): () => number {
  if (start === undefined) return Date.now;
  const offset = start - Date.now();
  return () => Date.now() + offset;
}
