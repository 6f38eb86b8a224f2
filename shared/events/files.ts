// Events from files (JSON Lines or CSV), turned into the same messages the queue delivers, so a backfill takes
// exactly the ingest path of live traffic.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { createInterface } from 'node:readline';
import { isStorableNumber } from './envelope.ts';
import type { IncomingMessage } from './ingest.ts';

const TOP_LEVEL = new Set(['messageId', 'event', 'userId', 'anonymousId', 'timestamp']);
const NUMBER = /^-?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/**
 * Yields chunks of messages; ids are 'file:line' so a rejection points at its line. The lines count as sent at
 * `sentAt` if given (a replay "as of" an instant), else when the file was last written: ingesting it again (after a
 * crash, or days later) judges and files every line alike.
 */
export async function* readEventFile(
  path: string,
  chunkSize = 500,
  sentAt?: number,
): AsyncGenerator<IncomingMessage[]> {
  const csv = path.toLowerCase().endsWith('.csv');
  const sent = sentAt ?? Math.floor((await stat(path)).mtimeMs);
  const lines = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Number.POSITIVE_INFINITY });
  const name = basename(path);
  let header: string[] | undefined;
  let lineNo = 0;
  let chunk: IncomingMessage[] = [];
  for await (const line of lines) {
    lineNo++;
    if (line.trim() === '') continue;
    if (csv && !header) {
      header = parseCsvLine(line);
      continue;
    }
    chunk.push({ id: `${name}:${lineNo}`, body: csv ? csvRowToJson(header!, parseCsvLine(line)) : line, sentAt: sent });
    if (chunk.length >= chunkSize) {
      yield chunk;
      chunk = [];
    }
  }
  if (chunk.length > 0) yield chunk;
}

/** Counts the non-empty lines of a file cheaply, for the progress bar. */
export async function countLines(path: string): Promise<number> {
  let n = 0;
  const lines = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Number.POSITIVE_INFINITY });
  for await (const line of lines) if (line.trim() !== '') n++;
  return path.toLowerCase().endsWith('.csv') ? Math.max(0, n - 1) : n;
}

/** RFC 4180 fields: commas, "quoted, fields" and "" for a quote inside quotes. */
export function parseCsvLine(line: string): string[] {
  const out: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      out.push(field);
      field = '';
    } else field += c;
  }
  out.push(field);
  return out;
}

/**
 * Envelope columns stay top-level; every other non-empty column is a property. Numbers become numbers when they stay
 * exact: a long numeric id (or 1e999) stays a string rather than losing digits.
 */
function csvRowToJson(header: string[], fields: string[]): string {
  const event: Record<string, unknown> = {};
  const properties: Record<string, unknown> = {};
  header.forEach((column, i) => {
    const value = fields[i];
    if (value === undefined || value === '') return;
    if (TOP_LEVEL.has(column)) event[column] = value;
    else properties[column] = NUMBER.test(value) && isStorableNumber(Number(value)) ? Number(value) : value;
  });
  event.properties = properties;
  return JSON.stringify(event);
}
