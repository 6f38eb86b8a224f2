// Starts the aws-ses-v2-local server (SES API plus a web inbox) in this process on a free loopback port.
import type { Server } from 'node:http';
import * as sesLocal from 'aws-ses-v2-local';
import { freePort } from './dynamodb-local.ts';

export interface LocalSes {
  endpoint: string;
  /** The web inbox, while this process runs. */
  inboxUrl: string;
  stop(): Promise<void>;
}

type StartServer = (config?: { host?: string; port?: number }) => Promise<Server>;

export async function startSesLocal(port?: number): Promise<LocalSes> {
  const start = ((sesLocal as { default?: unknown }).default ?? sesLocal) as StartServer | { default: StartServer };
  const run = typeof start === 'function' ? start : start.default;
  const chosen = port ?? (await freePort());
  const server = await run({ host: '127.0.0.1', port: chosen });
  const endpoint = `http://127.0.0.1:${chosen}`;
  return {
    endpoint,
    inboxUrl: `${endpoint}/`,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
