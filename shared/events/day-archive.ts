// Closed days of raw events in the archive, where they stay for the retention period (DynamoDB keeps them only while
// redeliveries and recomputes need them): `events/day=YYYY-MM-DD/part-K-of-N.jsonl.zst`, JSON Lines compressed with
// zstd (Athena reads the prefix as a table partitioned by day), then `_manifest.json` (ignored by Athena), written
// last. Each write of a day holds every event of the day once, so a write cut short and retried leaves the same day.
import { zstdCompressSync, zstdDecompressSync } from 'node:zlib';
import type { ObjectArchive } from '#shared/archive/archive.ts';
import type { NightshiftConfig } from '#shared/config/schema.ts';
import type { StateStore } from '#shared/store/store.ts';
import { dayRange, type LocalDate } from '#shared/time/calendar.ts';
import type { StoredEvent } from './envelope.ts';
import { forEachEventOfDay, hotDays } from './events-store.ts';
import { shardOf } from './keys.ts';

export const ARCHIVE_PREFIX = 'events/';
export const ARCHIVE_FORMAT = 'jsonl+zstd';
const PARTS = 8;
/** Lines compressed at a time: each batch is one zstd frame, and a part is its frames one after the other. */
const FRAME_BYTES = 4 * 1024 * 1024;
const DAY_MS = 86_400_000;

export const dayPrefix = (day: LocalDate) => `${ARCHIVE_PREFIX}day=${day}/`;
const manifestKey = (day: LocalDate) => `${dayPrefix(day)}_manifest.json`;

export interface DayManifest {
  day: LocalDate;
  format: typeof ARCHIVE_FORMAT;
  /** Distinct events of the day in all parts. */
  events: number;
  parts: Array<{ key: string; events: number; bytes: number }>;
}

/** Collects a day's events (each once) into compressed parts, then writes them and the manifest. */
export class DayArchiveWriter {
  readonly day: LocalDate;
  private readonly parts = Array.from({ length: PARTS }, () => ({
    lines: [] as string[],
    pending: 0,
    frames: [] as Buffer[],
    events: 0,
  }));

  constructor(day: LocalDate) {
    this.day = day;
  }

  add(e: StoredEvent): void {
    const part = this.parts[shardOf(e.messageId, PARTS)]!;
    const line = JSON.stringify({
      messageId: e.messageId,
      event: e.event,
      ...(e.userId === undefined ? {} : { userId: e.userId }),
      ts: e.ts,
      properties: e.properties,
    });
    part.lines.push(line);
    part.pending += line.length;
    part.events++;
    if (part.pending >= FRAME_BYTES) this.frame(part);
  }

  /** Writes every part, then the manifest that names them. */
  async write(archive: ObjectArchive): Promise<DayManifest> {
    const manifest: DayManifest = { day: this.day, format: ARCHIVE_FORMAT, events: 0, parts: [] };
    for (const [k, part] of this.parts.entries()) {
      this.frame(part);
      const body = Buffer.concat(part.frames);
      const key = `${dayPrefix(this.day)}part-${k}-of-${PARTS}.jsonl.zst`;
      await archive.put(key, body);
      manifest.parts.push({ key, events: part.events, bytes: body.length });
      manifest.events += part.events;
    }
    await archive.put(manifestKey(this.day), Buffer.from(JSON.stringify(manifest)));
    return manifest;
  }

  private frame(part: (typeof this.parts)[number]): void {
    if (part.lines.length === 0) return;
    part.frames.push(zstdCompressSync(Buffer.from(`${part.lines.join('\n')}\n`)));
    part.lines = [];
    part.pending = 0;
  }
}

export async function readManifest(archive: ObjectArchive, day: LocalDate): Promise<DayManifest | undefined> {
  const bytes = await archive.get(manifestKey(day));
  return bytes === undefined ? undefined : (JSON.parse(Buffer.from(bytes).toString()) as DayManifest);
}

/**
 * Calls `onEvent` for every archived event of the day not in `seen` (and adds it). Returns the manifest, or
 * undefined when the day was never archived.
 */
export async function forEachArchivedEvent(
  archive: ObjectArchive,
  day: LocalDate,
  onEvent: (event: StoredEvent) => void,
  seen = new Set<string>(),
): Promise<DayManifest | undefined> {
  const manifest = await readManifest(archive, day);
  if (manifest === undefined) return undefined;
  for (const part of manifest.parts) {
    const bytes = await archive.get(part.key);
    if (bytes === undefined) throw new Error(`archive part ${part.key} named by the manifest of ${day} is missing`);
    if (bytes.length === 0) continue;
    const text = zstdDecompressSync(bytes).toString();
    let from = 0;
    while (from < text.length) {
      let to = text.indexOf('\n', from);
      if (to < 0) to = text.length;
      if (to > from) {
        const o = JSON.parse(text.slice(from, to)) as Omit<StoredEvent, 'day'>;
        if (!seen.has(o.messageId)) {
          seen.add(o.messageId);
          const e: StoredEvent = { messageId: o.messageId, event: o.event, ts: o.ts, day, properties: o.properties };
          if (o.userId !== undefined) e.userId = o.userId;
          onEvent(e);
        }
      }
      from = to + 1;
    }
  }
  return manifest;
}

/**
 * Whether every event of the day is still in DynamoDB: an event's pack expires `hotDays` days after the day of its
 * timestamp at the earliest, and the timestamp lies in the day.
 */
export function isHotDay(day: LocalDate, now: number, config: Pick<NightshiftConfig, 'timeZone' | 'jobs'>): boolean {
  return now < dayRange(day, config.timeZone).start + hotDays(config) * DAY_MS;
}

export interface DaySource {
  /** Distinct events delivered. */
  events: number;
  /** Where they came from: DynamoDB alone while the day is hot; the archive and DynamoDB's late events after. */
  fromArchive: boolean;
}

/**
 * Every distinct event of a local day: from DynamoDB, and from the archive too once the day's first events may have
 * expired from DynamoDB (a late event for an old day is in DynamoDB only, the rest only in the archive).
 */
export async function forEachEventOfClosedDay(
  deps: { store: StateStore; archive?: ObjectArchive; config: NightshiftConfig; now: number },
  day: LocalDate,
  onEvent: (event: StoredEvent) => void,
  options: { fromArchive?: boolean } = {},
): Promise<DaySource> {
  const seen = new Set<string>();
  const { store, archive, config } = deps;
  let events = await forEachEventOfDay(store, day, config.ingest.shardsPerDay, onEvent, seen);
  const fromArchive = archive !== undefined && (options.fromArchive === true || !isHotDay(day, deps.now, config));
  if (fromArchive) {
    const before = seen.size;
    await forEachArchivedEvent(archive, day, onEvent, seen);
    events += seen.size - before;
  }
  return { events, fromArchive };
}
