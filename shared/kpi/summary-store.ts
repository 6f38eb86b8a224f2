// Day summaries in the state table: one partition per day, the compressed summary cut into chunks under DynamoDB's
// item limit, and a head item naming the chunks' count and hash. The head is written last, so a summary is either
// the whole new one or (a write cut short) one whose hash does not match: read as missing, and recomputed.
import { createHash } from 'node:crypto';
import type { StateStore } from '#shared/store/store.ts';
import type { LocalDate } from '#shared/time/calendar.ts';
import { type DaySummary, decodeSummary, encodeSummary, SUMMARY_VERSION } from './summary.ts';

const CHUNK_BYTES = 350 * 1024;
const partition = (day: LocalDate) => `DAYSUM#${day}`;
const chunkKey = (i: number) => `c#${String(i).padStart(4, '0')}`;
const HEAD = 'head';

export async function saveDaySummary(store: StateStore, summary: DaySummary): Promise<{ bytes: number }> {
  const bytes = encodeSummary(summary);
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length || i === 0; i += CHUNK_BYTES) chunks.push(bytes.subarray(i, i + CHUNK_BYTES));
  const pk = partition(summary.day);
  await store.putMany(
    'state',
    chunks.map((z, i) => ({ pk, sk: chunkKey(i), z })),
  );
  await store.put('state', {
    pk,
    sk: HEAD,
    v: SUMMARY_VERSION,
    chunks: chunks.length,
    hash: hashOf(bytes),
    events: summary.events,
    inputs: Object.keys(summary.inputs),
  });
  return { bytes: bytes.length };
}

/** The day's summary, or undefined when there is none of this version (or a write of it was cut short). */
export async function loadDaySummary(store: StateStore, day: LocalDate): Promise<DaySummary | undefined> {
  let head: Record<string, unknown> | undefined;
  const chunks: Uint8Array[] = [];
  for await (const item of store.query('state', partition(day))) {
    if (item.sk === HEAD) head = item;
    else chunks.push(item.z as Uint8Array);
  }
  if (head?.v !== SUMMARY_VERSION || typeof head.chunks !== 'number' || chunks.length < head.chunks) return undefined;
  const bytes = Buffer.concat(chunks.slice(0, head.chunks));
  if (hashOf(bytes) !== head.hash) return undefined;
  return decodeSummary(bytes);
}

/** Which input keys a day's stored summary holds (its head only), or undefined without a summary. */
export async function storedSummaryInputs(store: StateStore, day: LocalDate): Promise<Set<string> | undefined> {
  const head = await store.get('state', partition(day), HEAD);
  if (head?.v !== SUMMARY_VERSION || !Array.isArray(head.inputs)) return undefined;
  return new Set(head.inputs as string[]);
}

function hashOf(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('base64url');
}
