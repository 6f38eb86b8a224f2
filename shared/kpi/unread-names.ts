// Names a KPI formula reads that the data has never had: an event name no counted day had while events of other
// names arrived, or a property no event of that name had. A typo reads as no events, so its count or sum is 0 and a
// ceiling like `refund rate at most 2%` reads "met" every day; such a value is stored as no data, with the reason,
// instead. A rare event (no refund on a quiet day) is a name some day has had: its 0 stays a value, judged.
import {
  type DayFigures,
  type PropertySeen,
  readDayFigures,
  readNamesSeen,
  saveNamesSeen,
} from '#shared/events/day-figures.ts';
import { type Formula, formulaTerms, nearestName, termSelectors } from '#shared/formula/formula.ts';
import type { StateStore } from '#shared/store/store.ts';
import { addDays, daysBetween, type LocalDate } from '#shared/time/calendar.ts';
import {
  aggregateTallies,
  closestName,
  EVENT_NOTE_MIN_DAYS,
  type EventNote,
  type PropertyNote,
  type PropertyRead,
  selectorTallies,
} from './property-reads.ts';

/** A name a formula reads that no counted day had. */
export interface UnreadName {
  /** 'event': no event had the name; 'property': no event of that name (`event`) had the property. */
  kind: 'event' | 'property';
  /** The event name (null: any event, for a property). */
  event: string | null;
  property?: string;
  /** Days that tell (those that recorded every name the formulas read) with events, or that looked the property up. */
  days: number;
  /** Events of other names, or that the property was looked up on (values stored before 30 Nov 2026 only). */
  events?: number;
  /** The name seen that it most likely meant. */
  suggestion?: string;
}

/**
 * Days, as a bitmap from the first: a day counted twice is one day, and three years are 137 bytes. What the names
 * history counts days with, so that reading a day again (a recompute, a backfill) changes nothing.
 */
class DaySet {
  private from: LocalDate | undefined;
  private bits = new Uint8Array(0);

  static of(stored: unknown): DaySet {
    const set = new DaySet();
    if (typeof stored !== 'object' || stored === null) return set;
    const { from, bits } = stored as { from?: unknown; bits?: unknown };
    if (typeof from !== 'string' || typeof bits !== 'string') return set;
    set.from = from;
    set.bits = new Uint8Array(Buffer.from(bits, 'base64'));
    return set;
  }

  add(day: LocalDate): void {
    if (this.from === undefined) this.from = day;
    if (day < this.from) {
      const shift = daysBetween(day, this.from);
      const old = [...this.days()];
      this.from = day;
      this.bits = new Uint8Array(Math.ceil((this.bits.length * 8 + shift) / 8));
      for (const d of old) this.add(d);
    }
    const at = daysBetween(this.from, day);
    if (at >= this.bits.length * 8) {
      const grown = new Uint8Array(Math.floor(at / 8) + 1);
      grown.set(this.bits);
      this.bits = grown;
    }
    this.bits[at >> 3]! |= 1 << (at & 7);
  }

  addAll(other: DaySet): void {
    for (const d of other.days()) this.add(d);
  }

  *days(): Generator<LocalDate> {
    if (this.from === undefined) return;
    for (let at = 0; at < this.bits.length * 8; at++) {
      if (this.bits[at >> 3]! & (1 << (at & 7))) yield addDays(this.from, at);
    }
  }

  get size(): number {
    let n = 0;
    for (const byte of this.bits) for (let b = byte; b; b &= b - 1) n++;
    return n;
  }

  toJSON(): { from: LocalDate; bits: string } | undefined {
    if (this.from === undefined) return undefined;
    let end = this.bits.length;
    while (end > 0 && this.bits[end - 1] === 0) end--;
    return { from: this.from, bits: Buffer.from(this.bits.subarray(0, end)).toString('base64') };
  }
}

/** A property's reads over the days counted. */
interface PropertyHistory {
  event: string | null;
  property: string;
  /** Days it was looked up on events of a day that tells. */
  days: DaySet;
  present: boolean;
  /** While absent: some property names those events had (the first `NAMES_KEPT` by name). */
  names: Set<string>;
}

/** Names kept per property while it is absent: enough to suggest one. */
const NAMES_KEPT = 20;

/**
 * Event names kept beyond the formulas' own: the names a misspelt one most likely meant. Days keep their 100 most
 * frequent; their union over the years stays near that, and this bounds a stray-name flood.
 */
const EVENT_NAMES_KEPT_EVER = 1000;

/** The names history as stored: one small item, read once per rollup (day figures keep it: shared/events/day-figures.ts). */
export interface StoredNameHistory {
  names: string[];
  /** Days with events whose figures tell (recorded every name the formulas read, and the properties). */
  eventDays?: { from: LocalDate; bits: string };
  properties: Array<{
    event: string | null;
    property: string;
    days?: { from: LocalDate; bits: string };
    present: boolean;
    names?: string[];
  }>;
}

/**
 * The event names and formula properties the counted days have had: what tells a misspelt name from a rare one.
 * Adding a day's figures is idempotent (adding them again, or a re-read of the day, changes nothing) and only ever
 * grows it, so a history saved ahead of the values it speaks for never flags a name that was seen.
 */
export class NameHistory {
  private readonly names = new Set<string>();
  private readonly properties = new Map<string, PropertyHistory>();
  private readonly eventDays = new DaySet();

  /** `figures`: counted days' figures (see `add`). */
  constructor(figures: Iterable<Pick<DayFigures, 'day' | 'events' | 'eventNames' | 'properties'>> = []) {
    for (const f of figures) this.add(f);
  }

  static fromStored(stored: StoredNameHistory): NameHistory {
    const history = new NameHistory();
    for (const name of stored.names) history.names.add(name);
    history.eventDays.addAll(DaySet.of(stored.eventDays));
    for (const p of stored.properties) {
      history.properties.set(propertyKey(p.event, p.property), {
        event: p.event,
        property: p.property,
        days: DaySet.of(p.days),
        present: p.present,
        names: new Set(p.names ?? []),
      });
    }
    return history;
  }

  /**
   * Adds a counted day's figures. The names it holds count as seen whatever its format. Only a day whose figures
   * recorded the properties (the format that keeps every name the formulas read, beyond the 100 most frequent) tells
   * that a name was absent: a day counted before (top 100 names, no properties) counts toward no day with events.
   */
  add(f: Pick<DayFigures, 'day' | 'events' | 'eventNames' | 'properties'>): void {
    for (const name of Object.keys(f.eventNames ?? {})) this.names.add(name);
    if (f.properties === undefined || f.eventNames === undefined) return;
    if (f.events > 0) this.eventDays.add(f.day);
    for (const p of f.properties) {
      if (p.events === 0) continue;
      const key = propertyKey(p.event, p.property);
      const h = this.properties.get(key) ?? {
        event: p.event,
        property: p.property,
        days: new DaySet(),
        present: false,
        names: new Set<string>(),
      };
      h.days.add(f.day);
      h.present ||= p.present;
      if (!h.present) for (const name of p.names ?? []) h.names.add(name);
      this.properties.set(key, h);
    }
  }

  /** The history as stored; `keep`: the event names the formulas read, kept whatever the cap. */
  toStored(keep: ReadonlySet<string> = new Set()): StoredNameHistory {
    const names = [...this.names].sort();
    const kept = [...names.filter((n) => keep.has(n)), ...names.filter((n) => !keep.has(n))]
      .slice(0, EVENT_NAMES_KEPT_EVER + keep.size)
      .sort();
    const eventDays = this.eventDays.toJSON();
    return {
      names: kept,
      ...(eventDays ? { eventDays } : {}),
      properties: [...this.properties.values()].map((p) => {
        const days = p.days.toJSON();
        const names = p.present ? [] : [...p.names].sort().slice(0, NAMES_KEPT);
        return {
          event: p.event,
          property: p.property,
          ...(days ? { days } : {}),
          present: p.present,
          ...(names.length > 0 ? { names } : {}),
        };
      }),
    };
  }

  /**
   * The names of `formula` the counted days never had, as the rollup's notes judge them: an event name when events of
   * other names arrived, with a look-alike among them or on at least `EVENT_NOTE_MIN_DAYS` days; a property of an
   * event name seen when no event it was looked up on had it, with a look-alike or on at least that many days.
   */
  unread(formula: Formula): UnreadName[] {
    const out = new Map<string, UnreadName>();
    for (const term of formulaTerms(formula)) {
      for (const { event } of termSelectors(term)) {
        if (event === null || this.names.has(event) || out.has(eventKey(event))) continue;
        const u = this.unreadEvent(event);
        if (u) out.set(eventKey(event), u);
      }
      for (const read of termProperties(term)) {
        if (read.event !== null && out.has(eventKey(read.event))) continue;
        const key = propertyKey(read.event, read.property);
        const h = this.properties.get(key);
        if (h === undefined || h.present || out.has(key)) continue;
        const days = h.days.size;
        if (days === 0) continue;
        const suggestion = closestName(read.property, [...h.names].sort());
        if (suggestion === undefined && days < EVENT_NOTE_MIN_DAYS) continue;
        out.set(key, {
          kind: 'property',
          event: read.event,
          property: read.property,
          days,
          ...(suggestion === undefined ? {} : { suggestion }),
        });
      }
    }
    return [...out.values()];
  }

  private unreadEvent(event: string): UnreadName | undefined {
    const days = this.eventDays.size;
    if (days === 0) return undefined;
    const suggestion = nearestName(event, [...this.names].sort());
    if (suggestion === undefined && days < EVENT_NOTE_MIN_DAYS) return undefined;
    return { kind: 'event', event, days, ...(suggestion === undefined ? {} : { suggestion }) };
  }
}

/**
 * The names history as stored, one item read once per rollup. A data folder from before it was kept has none: it is
 * built once from every day's figures (the only time they are all read), then saved by the rollup and kept.
 */
export async function loadNameHistory(store: StateStore): Promise<NameHistory> {
  const stored = await readNamesSeen(store);
  if (stored !== undefined) return NameHistory.fromStored(stored as StoredNameHistory);
  return new NameHistory(await readDayFigures(store, '0000-01-01', '9999-12-31'));
}

/** `keep`: the event names the formulas read, kept whatever the cap. */
export async function saveNameHistory(
  store: StateStore,
  history: NameHistory,
  keep?: ReadonlySet<string>,
): Promise<void> {
  await saveNamesSeen(store, history.toStored(keep) as unknown as Record<string, unknown>);
}

const eventKey = (event: string) => `event\u0000${event}`;
const propertyKey = (event: string | null, property: string) => `property\u0000${event ?? ''}\u0000${property}`;

/** The properties a term reads (its value's, its conditions'), on which event. */
function termProperties(term: ReturnType<typeof formulaTerms>[number]): PropertyRead[] {
  if (term.kind === 'retention') {
    return [...selectorTallies(term.cohort, ''), ...selectorTallies(term.returning, '')].map((t) => t.result());
  }
  const { value, filters } = aggregateTallies(term, '');
  return [...(value ? [value] : []), ...filters].map((t) => t.result());
}

/** One day's property reads (per formula term) as its figures keep them: per event name and property. */
export function propertiesSeen(reads: Iterable<PropertyRead>): PropertySeen[] {
  const by = new Map<string, PropertySeen>();
  for (const r of reads) {
    const key = propertyKey(r.event, r.property);
    const had = by.get(key);
    if (had === undefined) {
      by.set(key, { event: r.event, property: r.property, events: r.events, present: r.present, names: [...r.names] });
      continue;
    }
    had.events += r.events;
    had.present ||= r.present;
    had.names = [...new Set([...(had.names ?? []), ...r.names])].sort().slice(0, NAMES_KEPT);
  }
  return [...by.values()].map((p) => {
    if (!p.present && p.names?.length) return p;
    const { names: _names, ...rest } = p;
    return rest;
  });
}

/** The reason a value is no data, in a report's and `kpis`' words: 'no "Refund Isued" event on any of ...'. */
export function unreadReason(unread: readonly UnreadName[]): string {
  return unread.map(unreadPhrase).join('; ');
}

function unreadPhrase(u: UnreadName): string {
  const days = `${u.days} day${u.days === 1 ? '' : 's'}`;
  if (u.kind === 'event') {
    const seen = `no "${u.event}" event on any of the ${days} counted`;
    return u.suggestion === undefined
      ? `${seen}; check the event name (matched exactly, case included)`
      : `${seen}; did you mean "${u.suggestion}"?`;
  }
  const events = u.event === null ? 'event' : `"${u.event}" event`;
  const seen = `no ${events} had the property ${u.property} on any of the ${days} counted`;
  return u.suggestion === undefined
    ? `${seen}; check the property name (matched exactly, case included)`
    : `${seen}; did you mean ${u.suggestion}?`;
}

/**
 * The lines `nightshift rollup` (and backfill) prints, on stderr, for the names whose KPI values it stored as no data
 * that its own notes do not name: a run that read one day sees no look-alike in it, while the days counted before had one.
 */
export function unreadNoteLines(
  unread: ReadonlyArray<{ kpi: string; names: readonly UnreadName[] }>,
  eventNotes: readonly EventNote[],
  propertyNotes: readonly PropertyNote[],
): string[] {
  const noted = new Set([
    ...eventNotes.map((n) => eventKey(n.event)),
    ...propertyNotes.filter((n) => n.problem === 'absent').map((n) => propertyKey(n.event, n.property)),
  ]);
  const byName = new Map<string, { name: UnreadName; kpis: string[] }>();
  for (const { kpi, names } of unread) {
    for (const name of names) {
      const key = name.kind === 'event' ? eventKey(name.event!) : propertyKey(name.event, name.property!);
      if (noted.has(key)) continue;
      const entry = byName.get(key) ?? { name, kpis: [] };
      entry.kpis.push(kpi);
      byName.set(key, entry);
    }
  }
  return [...byName.values()].map(({ name, kpis }) => {
    const who = `KPI${kpis.length === 1 ? '' : 's'} ${kpis.join(', ')}`;
    return `note: ${who}: ${unreadPhrase(name)}; stored as no data, not judged`;
  });
}
