// Events from files (JSON Lines or CSV), turned into the same messages the queue delivers, so a backfill takes
// exactly the ingest path of live traffic.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { createInterface } from 'node:readline';
import { editDistance } from '#shared/formula/formula.ts';
import { isStorableNumber } from './envelope.ts';
import type { IncomingMessage } from './ingest.ts';

const TOP_LEVEL = new Set(['messageId', 'event', 'userId', 'anonymousId', 'timestamp']);
const NUMBER = /^-?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;
/** Columns every CSV row needs: the envelope's (userId or anonymousId is optional). */
export const REQUIRED_COLUMNS = ['messageId', 'event', 'timestamp'] as const;
/** What Excel and others write before UTF-8 text: not part of the first column's name. */
const BYTE_ORDER_MARK = '\uFEFF';
/** Characters of lines one chunk holds at most, whatever its line count: long lines make shorter chunks. */
const CHUNK_CHARS = 16_000_000;

/** An events file that cannot be read as events at all (a CSV header without the columns they need). */
export class EventFileError extends Error {
  override name = 'EventFileError';
}

/** What reading a file skipped, counted as it is read. */
export interface FileTally {
  /** Empty lines and lines of whitespace only: skipped, as JSON Lines readers do, neither stored nor quarantined. */
  blankLines: number;
}

/** The file and line number of a message id `readEventFile` gave ('history.jsonl:12'); undefined for another id. */
export function fileLineOf(id: string): { file: string; line: number } | undefined {
  const m = /^(?!http:)(.+):(\d+)$/.exec(id);
  return m ? { file: m[1]!, line: Number(m[2]) } : undefined;
}

/**
 * Yields chunks of messages, `chunkSize` lines each (fewer when their text passes CHUNK_CHARS); ids are 'file:line'
 * so a rejection points at its line. The lines count as sent at `sentAt` if given (a replay "as of" an instant),
 * else when the file was last written: ingesting it again (after a crash, or days later) judges and files every line
 * alike. Blank lines are skipped, and counted in `tally`.
 */
export async function* readEventFile(
  path: string,
  chunkSize = 500,
  sentAt?: number,
  tally?: FileTally,
): AsyncGenerator<IncomingMessage[]> {
  const csv = path.toLowerCase().endsWith('.csv');
  const sent = sentAt ?? Math.floor((await stat(path)).mtimeMs);
  const lines = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Number.POSITIVE_INFINITY });
  const name = basename(path);
  let header: string[] | undefined;
  let lineNo = 0;
  let chunk: IncomingMessage[] = [];
  let chars = 0;
  for await (const line of lines) {
    lineNo++;
    if (line.trim() === '') {
      if (tally) tally.blankLines++;
      continue;
    }
    if (csv && !header) {
      header = csvHeader(line);
      // Once for the file: a header without a required column would make every row a rejection of its own.
      assertCsvHeader(path, header);
      continue;
    }
    chunk.push({ id: `${name}:${lineNo}`, body: csv ? csvRowToJson(header!, parseCsvLine(line)) : line, sentAt: sent });
    chars += line.length;
    if (chunk.length >= chunkSize || chars >= CHUNK_CHARS) {
      yield chunk;
      chunk = [];
      chars = 0;
    }
  }
  if (chunk.length > 0) yield chunk;
}

/**
 * Checks the header of a CSV file (nothing for another file) before anything is ingested, so that of several files
 * named together none is stored when one cannot be read. Throws an EventFileError.
 */
export async function assertEventFileHeader(path: string): Promise<void> {
  if (!path.toLowerCase().endsWith('.csv')) return;
  const input = createReadStream(path, 'utf8');
  try {
    for await (const line of createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY })) {
      if (line.trim() === '') continue;
      assertCsvHeader(path, csvHeader(line));
      return;
    }
  } finally {
    input.destroy();
  }
}

/** The columns of a header line; a byte order mark before it is not part of the first one's name. */
function csvHeader(line: string): string[] {
  return parseCsvLine(line.startsWith(BYTE_ORDER_MARK) ? line.slice(1) : line);
}

function assertCsvHeader(path: string, columns: readonly string[]): void {
  const problem = checkCsvHeader(columns);
  if (problem) throw new EventFileError(csvHeaderMessage(path, problem));
}

/** What is wrong with a CSV header. */
export interface CsvHeaderProblem {
  /** Required columns the header lacks, in REQUIRED_COLUMNS order. */
  missing: string[];
  /** The columns as read. */
  found: string[];
  /** Columns most likely meant for a missing one (msg_id for messageId). */
  meant: Array<{ column: string; required: string }>;
  /** The header looks separated by this character rather than commas. */
  separator?: string;
}

const SEPARATORS: Record<string, string> = { ';': 'semicolons', '\t': 'tabs', '|': 'vertical bars' };

/** The header's problem, or undefined when it has every required column (in any order, with any others). */
export function checkCsvHeader(columns: readonly string[]): CsvHeaderProblem | undefined {
  const has = new Set(columns);
  const missing = REQUIRED_COLUMNS.filter((c) => !has.has(c));
  if (missing.length === 0) return undefined;
  const problem: CsvHeaderProblem = { missing, found: [...columns], meant: [] };
  // Another separator: split on it, the header gives back required columns (or it was read as one column).
  for (const sep of Object.keys(SEPARATORS)) {
    if (!columns.some((c) => c.includes(sep))) continue;
    const split = new Set(columns.flatMap((c) => c.split(sep).map((x) => x.trim())));
    if (columns.length === 1 || missing.some((c) => split.has(c))) {
      problem.separator = sep;
      return problem;
    }
  }
  for (const required of missing) {
    const column = meantColumn(required, columns);
    if (column !== undefined) problem.meant.push({ column, required });
  }
  return problem;
}

const squeeze = (name: string) => name.toLowerCase().replace(/[^a-z0-9]/g, '');

/** Whether `short` is an abbreviation of `long`: its first letter, then letters of it in order (msgid, ts). */
function abbreviates(short: string, long: string): boolean {
  if (short.length < 2 || short[0] !== long[0]) return false;
  let i = 0;
  for (const ch of long) if (ch === short[i]) i++;
  return i === short.length;
}

/**
 * The column of the header that most likely stands for a required one: the same but for case and separators
 * (message_id), an abbreviation (msg_id, ts) or the start of it (time), a name that starts with it (event_name), or a
 * typo or two away (events). An envelope column is never taken for another.
 */
function meantColumn(required: string, columns: readonly string[]): string | undefined {
  const r = squeeze(required);
  let best: { column: string; rank: number } | undefined;
  for (const column of columns) {
    if (TOP_LEVEL.has(column)) continue;
    const c = squeeze(column);
    if (c === '') continue;
    const distance = editDistance(c, r);
    const rank =
      c === r
        ? 0
        : abbreviates(c, r) || (c.length >= 4 && (c.startsWith(r) || r.startsWith(c)))
          ? 1
          : c.length >= 4 && distance <= 2
            ? 1 + distance
            : undefined;
    if (rank !== undefined && (best === undefined || rank < best.rank)) best = { column, rank };
  }
  return best?.column;
}

/** A column name as the message shows it: quoted when blank at an end, empty, or holding a tab, comma or quote. */
const shown = (column: string) => (/^$|^\s|\s$|[\t,"]/.test(column) ? JSON.stringify(column) : column);

const andList = (xs: readonly string[]) =>
  xs.length < 2 ? xs.join('') : `${xs.slice(0, -1).join(', ')} and ${xs.at(-1)}`;

/** The message for a header problem: what is wrong first, then the columns found and required, and the likely fix. */
export function csvHeaderMessage(file: string, problem: CsvHeaderProblem): string {
  const what = problem.separator
    ? `is separated by ${SEPARATORS[problem.separator]}, not commas`
    : `lacks the required column${problem.missing.length === 1 ? '' : 's'} ${andList(problem.missing)}`;
  const lines = [
    `${file}: the CSV header ${what}; nothing was ingested`,
    `  columns found:    ${problem.found.map(shown).join(', ')}`,
    `  columns required: ${REQUIRED_COLUMNS.join(', ')} (userId or anonymousId optional; any other column is a property)`,
  ];
  if (problem.separator) lines.push('  save the file with commas between columns (RFC 4180 CSV)');
  for (const m of problem.meant) lines.push(`  column ${shown(m.column)}: did you mean ${m.required}?`);
  return lines.join('\n');
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
