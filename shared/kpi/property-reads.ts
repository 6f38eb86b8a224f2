// What the rollup learns about the event properties KPI formulas read, as it reads a day. The config declares no
// event properties, so a misspelt name (`distinct(user of "Signed Up")` for userId, `sum("Order Completed".amount)`
// where the events say revenue) reads as no value at all: a property absent on every event a term read is noted,
// with the name the events have that it most likely meant. And a value that sum, avg, min or max skip because it is
// not a number is most often an amount sent as text ("12.50"): the events that had one are counted and noted.
import type { StoredEvent } from '#shared/events/envelope.ts';
import {
  type AggregateExpr,
  type Condition,
  type EventSelector,
  type Formula,
  formatTerm,
  formulaTerms,
  nearestName,
  termSelectors,
} from '#shared/formula/formula.ts';
import { type Getter, getter } from './evaluate.ts';

/** One property as one term of a formula reads it, over the events fed so far. */
export interface PropertyRead {
  /** The term's canonical text, e.g. 'sum("Order Completed".revenue)'. */
  term: string;
  /** The property's path, dotted: 'revenue', 'geo.region'. */
  property: string;
  /** The event the term reads it on; null: any event. */
  event: string | null;
  /** 'value': what the term aggregates; 'filter': what its where condition compares. */
  role: 'value' | 'filter';
  /** Events the property was looked up on (for a value: those that passed the where condition). */
  events: number;
  /** Some of them had it, with a value other than null. */
  present: boolean;
  /** Values a numeric term (sum, avg, min, max) skipped as not numbers, by JSON type. */
  notNumbers: Partial<Record<ValueType, number>>;
  /** A few top-level property names those events had while it was absent: what it may have been meant as. */
  names: string[];
}

/** The JSON types of a value that is not a number (null is no value, as if absent). */
export type ValueType = 'string' | 'boolean' | 'object' | 'array';

/** Events whose property names are kept, per term and day: enough to suggest a name, cheap to keep. */
const NAME_SAMPLES = 20;

/** Counts, for one term's property, the events it was looked up on and whether any had it. */
export class PropertyTally {
  private readonly read: PropertyRead;
  private readonly get: Getter;
  private readonly numeric: boolean;
  private readonly names = new Set<string>();
  private sampled = 0;

  /** `numeric`: the term takes numbers only (sum, avg, min, max), so a value of another type is skipped. */
  constructor(
    term: string,
    path: readonly string[],
    event: string | null,
    role: PropertyRead['role'],
    numeric = false,
  ) {
    this.read = { term, property: path.join('.'), event, role, events: 0, present: false, notNumbers: {}, names: [] };
    this.get = getter({ in: 'properties', path: [...path] });
    this.numeric = numeric;
  }

  /** A where condition's property: looked up on every event the term reads, until one has it. */
  look(ev: StoredEvent): void {
    this.read.events++;
    if (this.read.present) return;
    const v = this.get(ev);
    if (v !== undefined && v !== null) this.read.present = true;
    else this.sample(ev);
  }

  /** The value the term read from an event (`undefined`: the event has no such property). */
  value(v: unknown, ev: StoredEvent): void {
    this.read.events++;
    if (v === undefined || v === null) {
      if (!this.read.present) this.sample(ev);
      return;
    }
    this.read.present = true;
    // Stored numbers are finite (ingest refuses the others), so the type alone tells.
    if (this.numeric && typeof v !== 'number') {
      const type: ValueType = Array.isArray(v) ? 'array' : typeof v === 'object' ? 'object' : (typeof v as ValueType);
      this.read.notNumbers[type] = (this.read.notNumbers[type] ?? 0) + 1;
    }
  }

  result(): PropertyRead {
    return { ...this.read, notNumbers: { ...this.read.notNumbers }, names: [...this.names].sort() };
  }

  private sample(ev: StoredEvent): void {
    if (this.sampled >= NAME_SAMPLES) return;
    this.sampled++;
    for (const name of Object.keys(ev.properties)) this.names.add(name);
  }
}

/** An aggregate term's tallies: its value's property (sum, avg, min, max or distinct of one) and its condition's. */
export function aggregateTallies(
  term: AggregateExpr,
  label: string,
): { value: PropertyTally | undefined; filters: PropertyTally[] } {
  const field = term.field;
  const numeric = term.fn === 'sum' || term.fn === 'avg' || term.fn === 'min' || term.fn === 'max';
  const value =
    field?.in === 'properties' ? new PropertyTally(label, field.path, term.events.event, 'value', numeric) : undefined;
  return { value, filters: selectorTallies(term.events, label) };
}

/** The tallies of the properties a selector's where condition compares, each once. */
export function selectorTallies(selector: EventSelector, label: string): PropertyTally[] {
  const paths = new Map<string, string[]>();
  const walk = (c: Condition): void => {
    if (c.kind === 'compare') {
      if (c.field.in === 'properties') paths.set(c.field.path.join('.'), c.field.path);
    } else if (c.kind === 'not') walk(c.operand);
    else {
      walk(c.left);
      walk(c.right);
    }
  };
  if (selector.where) walk(selector.where);
  return [...paths.values()].map((path) => new PropertyTally(label, path, selector.event, 'filter'));
}

const keyOf = (r: Pick<PropertyRead, 'term' | 'role' | 'event' | 'property'>) =>
  `${r.term}\u0000${r.role}\u0000${r.event ?? ''}\u0000${r.property}`;

/**
 * A property a formula reads that no event read had (`absent`: most often a misspelt name), or whose value some events
 * held as something other than a number where the term takes numbers (`not_numeric`: most often amounts sent as text).
 */
export interface PropertyNote {
  /** KPIs whose formula has the term. */
  kpis: string[];
  term: string;
  property: string;
  event: string | null;
  role: PropertyRead['role'];
  problem: 'absent' | 'not_numeric';
  /** Events the property was looked up on. */
  events: number;
  /** not_numeric: the events whose value the term skipped, and their values' JSON types. */
  skipped?: number;
  types?: Partial<Record<ValueType, number>>;
  /** absent: a name those events have that it most likely meant. */
  suggestion?: string;
  /** absent: some of the property names those events had. */
  names?: string[];
}

/**
 * An event name the config reads (a KPI formula, `alerts.expectedEvents`) that no event of the days a rollup read had,
 * while others did: most often a misspelt name, which a formula reads as no events and an expected stream as one that
 * has not begun (it is watched from its first event on).
 */
export interface EventNote {
  event: string;
  /** KPIs whose formula reads it. */
  kpis: string[];
  /** The formula terms that read it: the labels of their inputs. */
  terms: string[];
  /** `alerts.expectedEvents` lists it. */
  expected: boolean;
  /** Days read, those of them that had events, and their events (all of other names). */
  days: number;
  daysWithEvents: number;
  events: number;
  /** The name seen that it most likely meant. */
  suggestion?: string;
}

/**
 * Days with events before a name no event had is noted without a likely meant name: a rare event may miss a few days,
 * and days without any events say nothing about one name (the span of `silentInputs`).
 */
export const EVENT_NOTE_MIN_DAYS = 7;

/** The property reads of the days a rollup read, merged: what its notes are made of. */
export class PropertyReads {
  private readonly byKey = new Map<string, PropertyRead>();
  private readonly eventNames = new Map<string, number>();
  private days = 0;
  private daysWithEvents = 0;
  private events = 0;

  /** Adds one day's events by name. */
  addEventNames(counts: ReadonlyMap<string, number>): void {
    this.days++;
    if (counts.size > 0) this.daysWithEvents++;
    for (const [name, n] of counts) {
      this.eventNames.set(name, (this.eventNames.get(name) ?? 0) + n);
      this.events += n;
    }
  }

  /**
   * Notes on the event names the KPIs' formulas and the expected streams read that no event of the days read had,
   * while others did. A name with a likely meant one seen is always noted; one without, after `EVENT_NOTE_MIN_DAYS`
   * days with events.
   */
  eventNotes(kpis: readonly { id: string; formula: Formula }[], expected: readonly string[] = []): EventNote[] {
    if (this.events === 0) return [];
    const byEvent = new Map<string, { kpis: Set<string>; terms: Set<string>; expected: boolean }>();
    const entry = (event: string) => {
      const e = byEvent.get(event) ?? { kpis: new Set<string>(), terms: new Set<string>(), expected: false };
      byEvent.set(event, e);
      return e;
    };
    for (const k of kpis) {
      for (const term of formulaTerms(k.formula)) {
        for (const { event } of termSelectors(term)) {
          if (event === null) continue;
          entry(event).kpis.add(k.id);
          entry(event).terms.add(formatTerm(term));
        }
      }
    }
    for (const event of expected) entry(event).expected = true;
    const notes: EventNote[] = [];
    for (const [event, e] of byEvent) {
      if (this.eventNames.has(event)) continue;
      const suggestion = nearestName(event, this.eventNames.keys());
      if (suggestion === undefined && this.daysWithEvents < EVENT_NOTE_MIN_DAYS) continue;
      notes.push({
        event,
        kpis: [...e.kpis].sort(),
        terms: [...e.terms].sort(),
        expected: e.expected,
        days: this.days,
        daysWithEvents: this.daysWithEvents,
        events: this.events,
        ...(suggestion === undefined ? {} : { suggestion }),
      });
    }
    return notes.sort((a, b) => (a.event < b.event ? -1 : 1));
  }

  /** Adds one day's reads. */
  add(reads: Iterable<PropertyRead>): void {
    for (const r of reads) {
      const key = keyOf(r);
      const had = this.byKey.get(key);
      if (had === undefined) {
        this.byKey.set(key, { ...r, notNumbers: { ...r.notNumbers }, names: [...r.names] });
        continue;
      }
      had.events += r.events;
      had.present ||= r.present;
      for (const [type, n] of Object.entries(r.notNumbers) as [ValueType, number][]) {
        had.notNumbers[type] = (had.notNumbers[type] ?? 0) + n;
      }
      if (!had.present) had.names = [...new Set([...had.names, ...r.names])].sort();
    }
  }

  /** Notes on the properties no event read had or some held as text, for the given KPIs (each names the KPIs). */
  notes(kpis: readonly { id: string; formula: Formula }[]): PropertyNote[] {
    const byTerm = new Map<string, string[]>();
    for (const k of kpis) {
      for (const term of new Set(formulaTerms(k.formula).map(formatTerm)))
        byTerm.set(term, [...(byTerm.get(term) ?? []), k.id]);
    }
    const notes: PropertyNote[] = [];
    for (const r of this.byKey.values()) {
      const owners = byTerm.get(r.term);
      if (owners === undefined || r.events === 0) continue;
      const skipped = Object.values(r.notNumbers).reduce((sum, n) => sum + n, 0);
      if (skipped > 0) {
        notes.push({
          kpis: owners,
          term: r.term,
          property: r.property,
          event: r.event,
          role: r.role,
          problem: 'not_numeric',
          events: r.events,
          skipped,
          types: { ...r.notNumbers },
        });
      }
      if (r.present) continue;
      const suggestion = closestName(r.property, r.names);
      notes.push({
        kpis: owners,
        term: r.term,
        property: r.property,
        event: r.event,
        role: r.role,
        problem: 'absent',
        events: r.events,
        ...(suggestion === undefined ? {} : { suggestion }),
        names: r.names,
      });
    }
    return notes.sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : 1));
  }
}

/** Fields of the event itself that a formula names without a prefix: `distinct(user of ...)` most likely meant userId. */
const EVENT_FIELDS = ['userId', 'messageId'];

/**
 * The name among `names` (and the event's own fields) that `property` most likely meant (`nearestName`). Only for a
 * top-level name.
 */
export function closestName(property: string, names: readonly string[]): string | undefined {
  if (property.includes('.')) return undefined;
  return nearestName(property, [...names, ...EVENT_FIELDS]);
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const TYPE_NAMES: Record<ValueType, [string, string]> = {
  string: ['string', 'strings'],
  boolean: ['boolean', 'booleans'],
  object: ['object', 'objects'],
  array: ['list', 'lists'],
};

/** The line `nightshift rollup` (and backfill) prints for an event note, on stderr. */
export function eventNoteLine(note: EventNote): string {
  const readers = [
    ...(note.kpis.length ? [`KPI${note.kpis.length === 1 ? '' : 's'} ${note.kpis.join(', ')}`] : []),
    ...(note.expected ? ['alerts.expectedEvents'] : []),
  ].join(' and ');
  const on = note.daysWithEvents === note.days ? '' : `, on ${plural(note.daysWithEvents, 'day')}`;
  const read = `no "${note.event}" event in the ${plural(note.days, 'day')} read (${plural(note.events, 'event')} of other names${on})`;
  const meant =
    note.suggestion === undefined
      ? 'check the event name (matched exactly, case included)'
      : `did you mean "${note.suggestion}"? (names are matched exactly, case included)`;
  const effect = [
    ...(note.kpis.length ? ['a formula counts no such events'] : []),
    ...(note.expected ? ['an expected stream is watched only from its first event on'] : []),
  ].join('; ');
  return `note: ${readers}: ${read}; ${meant}; ${effect}`;
}

/** The line `nightshift rollup` prints for a note, on stderr. */
export function propertyNoteLine(note: PropertyNote): string {
  const kpis = `KPI${note.kpis.length === 1 ? '' : 's'} ${note.kpis.join(', ')}`;
  const events = note.event === null ? 'event' : `"${note.event}" event`;
  if (note.problem === 'not_numeric') {
    const types = (Object.entries(note.types ?? {}) as [ValueType, number][])
      .map(([type, n]) => plural(n, ...TYPE_NAMES[type]))
      .join(', ');
    return `note: ${kpis}: ${note.term} skipped ${note.skipped} of the ${note.events} ${events}s read, whose ${note.property} was not a number (${types}); send amounts as JSON numbers (12.5, not "12.50")`;
  }
  const compared = note.role === 'filter' ? ' its condition compares' : '';
  const count = plural(note.events, 'event');
  const names = note.names ?? [];
  const shown = names.length > 8 ? [...names.slice(0, 8), '…'] : names;
  const had = note.suggestion === undefined && shown.length > 0 ? `; they had ${shown.join(', ')}` : '';
  const meant =
    note.suggestion === undefined
      ? 'check the property name (matched exactly, case included)'
      : `did you mean ${note.suggestion}? (names are matched exactly, case included)`;
  return `note: ${kpis}: ${note.term}: no ${events} read had the property ${note.property}${compared} (${count}${had}); ${meant}`;
}
