// Names a KPI formula reads that the data has never had: an event name no counted day had while events of other
// names arrived, or a property no event of that name had. A typo reads as no events, so its count or sum is 0 and a
// ceiling like `refund rate at most 2%` reads "met" every day; such a value is stored as no data, with the reason,
// instead. A rare event (no refund on a quiet day) is a name some day has had: its 0 stays a value, judged.
import type { DayFigures, PropertySeen } from '#shared/events/day-figures.ts';
import { type Formula, formulaTerms, nearestName } from '#shared/formula/formula.ts';
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
  /** Days that tell (those whose names or properties were recorded), and those that had events or looked it up. */
  days: number;
  /** Events of other names (event), or events the property was looked up on (property). */
  events: number;
  /** The name seen that it most likely meant. */
  suggestion?: string;
}

/** A property's reads over the days counted. */
interface PropertyHistory {
  days: number;
  events: number;
  present: boolean;
  names: Set<string>;
}

/** Names kept per property while it is absent: enough to suggest one. */
const NAMES_KEPT = 20;

/** The event names and formula properties every counted day has had. */
export class NameHistory {
  private readonly names = new Set<string>();
  private readonly properties = new Map<string, PropertyHistory>();
  private daysWithEvents = 0;
  private events = 0;

  /** `figures`: every counted day's (a day counted before names were recorded tells nothing, and is skipped). */
  constructor(figures: Iterable<Pick<DayFigures, 'events' | 'eventNames' | 'properties'>>) {
    for (const f of figures) {
      if (f.eventNames !== undefined && f.events > 0) {
        this.daysWithEvents++;
        this.events += f.events;
        for (const name of Object.keys(f.eventNames)) this.names.add(name);
      }
      for (const p of f.properties ?? []) {
        if (p.events === 0) continue;
        const key = propertyKey(p.event, p.property);
        const h = this.properties.get(key) ?? { days: 0, events: 0, present: false, names: new Set<string>() };
        h.days++;
        h.events += p.events;
        h.present ||= p.present;
        for (const name of p.names ?? []) if (h.names.size < NAMES_KEPT) h.names.add(name);
        this.properties.set(key, h);
      }
    }
  }

  /**
   * The names of `formula` the counted days never had, as the rollup's notes judge them: an event name when events of
   * other names arrived, with a look-alike among them or on at least `EVENT_NOTE_MIN_DAYS` days; a property of an
   * event name seen when no event it was looked up on had it, with a look-alike or on at least that many days.
   */
  unread(formula: Formula): UnreadName[] {
    const out = new Map<string, UnreadName>();
    for (const term of formulaTerms(formula)) {
      const selectors = term.kind === 'retention' ? [term.cohort, term.returning] : [term.events];
      for (const { event } of selectors) {
        if (event === null || this.names.has(event) || out.has(eventKey(event))) continue;
        const u = this.unreadEvent(event);
        if (u) out.set(eventKey(event), u);
      }
      for (const read of termProperties(term)) {
        if (read.event !== null && out.has(eventKey(read.event))) continue;
        const key = propertyKey(read.event, read.property);
        const h = this.properties.get(key);
        if (h === undefined || h.present || out.has(key)) continue;
        const suggestion = closestName(read.property, [...h.names].sort());
        if (suggestion === undefined && h.days < EVENT_NOTE_MIN_DAYS) continue;
        out.set(key, {
          kind: 'property',
          event: read.event,
          property: read.property,
          days: h.days,
          events: h.events,
          ...(suggestion === undefined ? {} : { suggestion }),
        });
      }
    }
    return [...out.values()];
  }

  private unreadEvent(event: string): UnreadName | undefined {
    if (this.events === 0) return undefined;
    const suggestion = nearestName(event, [...this.names].sort());
    if (suggestion === undefined && this.daysWithEvents < EVENT_NOTE_MIN_DAYS) return undefined;
    return {
      kind: 'event',
      event,
      days: this.daysWithEvents,
      events: this.events,
      ...(suggestion === undefined ? {} : { suggestion }),
    };
  }
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
  const seen = `no ${events} had the property ${u.property} (${u.events} on ${days} counted)`;
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
