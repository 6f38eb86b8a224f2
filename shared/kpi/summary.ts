// Exact, mergeable summaries of one local day: for every input the KPIs read (a term of a formula, per value of the
// KPI's scopeBy property) what a period needs from that day: counts, sums as exact partials, distinct keys, the day's
// users (sorted, once) and the user sets of distinct counts and retention cohorts and returns as positions in that
// list. A week or a month is the merge of its days' summaries and gives the values a pass over its raw events gives
// (createEvaluator), bit for bit: the nightly work grows with the days that changed, not with the period's length.
import { zstdCompressSync, zstdDecompressSync } from 'node:zlib';
import type { StoredEvent } from '#shared/events/envelope.ts';
import {
  type AggregateExpr,
  type Formula,
  formatTerm,
  formulaTerms,
  type RetentionExpr,
  type TermExpr,
} from '#shared/formula/formula.ts';
import {
  BitSet,
  evaluateFormula,
  type Getter,
  getter,
  type KpiResult,
  type KpiValue,
  keyOf,
  numberOf,
  selectorPredicate,
} from './evaluate.ts';
import { ExactSum } from './exact-sum.ts';
import { aggregateTallies, type PropertyRead, type PropertyTally, selectorTallies } from './property-reads.ts';

/** Bump when the layout changes: summaries of another version are recomputed from the raw events. */
export const SUMMARY_VERSION = 1;

/** One input the day summaries keep: a term of some KPI's formula, per value of that KPI's scopeBy property. */
export interface SummaryInput {
  key: string;
  term: TermExpr;
  scopeBy?: string;
}

export function inputKey(term: TermExpr, scopeBy: string | undefined): string {
  return scopeBy === undefined ? formatTerm(term) : `${formatTerm(term)} by ${scopeBy}`;
}

/** The inputs of the given KPIs, each once, sorted by key. */
export function summaryInputs(kpis: Iterable<{ formula: Formula; scopeBy?: string | undefined }>): SummaryInput[] {
  const out = new Map<string, SummaryInput>();
  for (const k of kpis) {
    for (const term of formulaTerms(k.formula)) {
      const key = inputKey(term, k.scopeBy);
      if (!out.has(key)) out.set(key, { key, term, ...(k.scopeBy === undefined ? {} : { scopeBy: k.scopeBy }) });
    }
  }
  return [...out.values()].sort((a, b) => compare(a.key, b.key));
}

/** A day summary as stored (JSON, then compressed). */
export interface DaySummary {
  v: number;
  day: string;
  /** Distinct events of the day. */
  events: number;
  /** The day's users that some user set holds, sorted; sets are positions in this list. */
  users: string[];
  inputs: Record<string, InputData>;
}

/** One input's state for the day: the total, per scope value, and the scope values its events opened. */
export interface InputData {
  t: unknown;
  /** Scopes whose events reached the accumulator (passed the where filter and had a value). */
  s: Record<string, unknown>;
  /** Scope values of the day's events the term reads (before where filters): each opens a scope in byScope. */
  seen: string[];
}

// ---------------------------------------------------------------------------------------------------------------
// Building a day's summary

/** Feeds one day's events (each once, any order) and returns its summary. */
export class DaySummarizer {
  readonly day: string;
  private readonly inputs: InputBuilder[];
  private readonly byEvent = new Map<string, InputBuilder[]>();
  private readonly any: InputBuilder[] = [];
  private readonly users = new Map<string, number>();
  private events = 0;

  constructor(day: string, inputs: readonly SummaryInput[]) {
    this.day = day;
    this.inputs = inputs.map((input) => new InputBuilder(input, this.users));
    for (const b of this.inputs) {
      for (const event of b.routeEvents) {
        if (event === null) {
          if (!this.any.includes(b)) this.any.push(b);
          continue;
        }
        const list = this.byEvent.get(event) ?? [];
        if (!list.includes(b)) list.push(b);
        this.byEvent.set(event, list);
      }
    }
  }

  add(ev: StoredEvent): void {
    this.events++;
    const named = this.byEvent.get(ev.event);
    if (named !== undefined) for (const b of named) b.add(ev);
    for (const b of this.any) if (!named?.includes(b)) b.add(ev);
  }

  summary(): DaySummary {
    // Positions in the sorted list of the users some set holds.
    const ids = [...this.users.keys()];
    const order = ids.map((_, i) => i).sort((a, b) => compare(ids[a]!, ids[b]!));
    const rank = new Int32Array(ids.length);
    order.forEach((dense, r) => {
      rank[dense] = r;
    });
    const inputs: Record<string, InputData> = {};
    for (const b of this.inputs) inputs[b.input.key] = b.encode(rank);
    return { v: SUMMARY_VERSION, day: this.day, events: this.events, users: order.map((i) => ids[i]!), inputs };
  }

  /** How the day's events held the properties the formulas read (property-reads.ts); not part of the summary. */
  propertyReads(): PropertyRead[] {
    // Inputs of one term per scopeBy read the same events: each term's reads once.
    const terms = new Set<string>();
    const out: PropertyRead[] = [];
    for (const b of this.inputs) {
      const term = formatTerm(b.input.term);
      if (terms.has(term)) continue;
      terms.add(term);
      out.push(...b.tallies.map((t) => t.result()));
    }
    return out;
  }
}

/** What one input keeps while a day is fed: its state per scope (-1 = total), in day-dense user numbers. */
class InputBuilder {
  readonly input: SummaryInput;
  readonly routeEvents: (string | null)[];
  private readonly users: Map<string, number>;
  private readonly scopeOf: Getter | undefined;
  private readonly seen = new Set<string>();
  private readonly feed: (ev: StoredEvent, scope: string | undefined) => void;
  readonly encode: (rank: Int32Array) => InputData;
  /** The properties the term reads, and how the events held them. */
  readonly tallies: PropertyTally[] = [];

  constructor(input: SummaryInput, users: Map<string, number>) {
    this.input = input;
    this.users = users;
    this.scopeOf =
      input.scopeBy === undefined ? undefined : getter({ in: 'properties', path: input.scopeBy.split('.') });
    const term = input.term;
    if (term.kind === 'retention') {
      this.routeEvents = [term.cohort.event, term.returning.event];
      [this.feed, this.encode] = this.retention(term);
    } else {
      this.routeEvents = [term.events.event];
      [this.feed, this.encode] = this.aggregate(term);
    }
  }

  add(ev: StoredEvent): void {
    let scope: string | undefined;
    if (this.scopeOf !== undefined) {
      scope = keyOf(this.scopeOf(ev));
      if (scope !== undefined) this.seen.add(scope);
    }
    this.feed(ev, scope);
  }

  private user(ev: StoredEvent): number {
    const id = ev.userId;
    if (typeof id !== 'string' || id === '') return -1;
    let u = this.users.get(id);
    if (u === undefined) {
      u = this.users.size;
      this.users.set(id, u);
    }
    return u;
  }

  private seenList(): string[] {
    return [...this.seen].sort(compare);
  }

  private aggregate(
    term: AggregateExpr,
  ): [(ev: StoredEvent, scope: string | undefined) => void, (rank: Int32Array) => InputData] {
    const kind = kindOf(term);
    const where = selectorPredicate(term.events);
    const get = term.field ? getter(term.field) : () => undefined;
    const byUser = term.fn === 'distinct' && term.field?.in === 'event' && term.field.name === 'userId';
    const tallies = aggregateTallies(term, formatTerm(term));
    const filters = tallies.filters;
    const read = tallies.value;
    this.tallies.push(...filters, ...(read ? [read] : []));
    /** The value of the term's property, told to its tally. */
    const value =
      read === undefined
        ? get
        : (ev: StoredEvent) => {
            const v = get(ev);
            read.value(v, ev);
            return v;
          };
    const extract: (ev: StoredEvent) => unknown =
      term.fn === 'count'
        ? () => true
        : byUser
          ? (ev) => {
              const u = this.user(ev);
              return u < 0 ? undefined : u;
            }
          : term.fn === 'distinct'
            ? (ev) => keyOf(value(ev))
            : (ev) => numberOf(value(ev));
    const total = kind.create();
    const scoped = new Map<string, unknown>();
    const feed = (ev: StoredEvent, scope: string | undefined) => {
      for (const f of filters) f.look(ev);
      if (where !== undefined && !where(ev)) return;
      const x = extract(ev);
      if (x === undefined) return;
      kind.feed(total, x);
      if (scope !== undefined) {
        let state = scoped.get(scope);
        if (state === undefined) {
          state = kind.create();
          scoped.set(scope, state);
        }
        kind.feed(state, x);
      }
    };
    const encode = (rank: Int32Array): InputData => ({
      t: kind.encode(total, rank),
      s: Object.fromEntries([...scoped].sort(([a], [b]) => compare(a, b)).map(([k, v]) => [k, kind.encode(v, rank)])),
      seen: this.seenList(),
    });
    return [feed, encode];
  }

  private retention(
    term: RetentionExpr,
  ): [(ev: StoredEvent, scope: string | undefined) => void, (rank: Int32Array) => InputData] {
    const inCohort = selectorPredicate(term.cohort);
    const isReturn = selectorPredicate(term.returning);
    const cohortEvent = term.cohort.event;
    const returnEvent = term.returning.event;
    const cohort = new Set<number>();
    const returned = new Set<number>();
    const scoped = new Map<string, Set<number>>();
    const label = formatTerm(term);
    const cohortFilters = selectorTallies(term.cohort, label);
    const returnFilters = selectorTallies(term.returning, label);
    this.tallies.push(...cohortFilters, ...returnFilters);
    const feed = (ev: StoredEvent, scope: string | undefined) => {
      if (cohortEvent === null || cohortEvent === ev.event) {
        for (const f of cohortFilters) f.look(ev);
        if (inCohort === undefined || inCohort(ev)) {
          const u = this.user(ev);
          if (u >= 0) {
            cohort.add(u);
            if (scope !== undefined) {
              const set = scoped.get(scope) ?? new Set<number>();
              set.add(u);
              scoped.set(scope, set);
            }
          }
        }
      }
      if (returnEvent === null || returnEvent === ev.event) {
        for (const f of returnFilters) f.look(ev);
        if (isReturn === undefined || isReturn(ev)) {
          const u = this.user(ev);
          if (u >= 0) returned.add(u);
        }
      }
    };
    const encode = (rank: Int32Array): InputData => ({
      t: { c: encodeUsers(cohort, rank), r: encodeUsers(returned, rank) },
      s: Object.fromEntries([...scoped].sort(([a], [b]) => compare(a, b)).map(([k, v]) => [k, encodeUsers(v, rank)])),
      seen: this.seenList(),
    });
    return [feed, encode];
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Aggregate kinds: one state per (input, scope); built from events (day-dense users), merged from summaries
// (period-dense users).

interface Kind<A> {
  create(): A;
  feed(acc: A, x: unknown): void;
  encode(acc: A, rank: Int32Array): unknown;
  /** Merges a stored state; `users` maps the day's user positions to period-dense numbers. */
  merge(acc: A, stored: unknown, users: Int32Array): void;
  /** `undefined`: the scope never reached this input. */
  value(acc: A | undefined): number | null;
}

const count: Kind<{ n: number }> = {
  create: () => ({ n: 0 }),
  feed: (a) => {
    a.n++;
  },
  encode: (a) => a.n,
  merge: (a, s) => {
    a.n += s as number;
  },
  value: (a) => a?.n ?? 0,
};

const sum: Kind<ExactSum> = {
  create: () => new ExactSum(),
  feed: (a, x) => a.add(x as number),
  encode: (a) => [...a.parts()],
  merge: (a, s) => a.addParts(s as number[]),
  value: (a) => a?.value() ?? 0,
};

const avg: Kind<{ sum: ExactSum; n: number }> = {
  create: () => ({ sum: new ExactSum(), n: 0 }),
  feed: (a, x) => {
    a.sum.add(x as number);
    a.n++;
  },
  encode: (a) => ({ p: [...a.sum.parts()], n: a.n }),
  merge: (a, s) => {
    const { p, n } = s as { p: number[]; n: number };
    a.sum.addParts(p);
    a.n += n;
  },
  value: (a) => (a === undefined || a.n === 0 ? null : a.sum.value() / a.n),
};

const extreme = (better: (x: number, y: number) => boolean): Kind<{ v: number | null }> => {
  const take = (a: { v: number | null }, x: number | null) => {
    if (x !== null && (a.v === null || better(x, a.v))) a.v = x;
  };
  return {
    create: () => ({ v: null }),
    feed: (a, x) => take(a, x as number),
    encode: (a) => a.v,
    merge: (a, s) => take(a, s as number | null),
    value: (a) => a?.v ?? null,
  };
};

/** While building: day-dense user numbers in a Set; while merging: period-dense numbers in a BitSet. */
const distinctUser: Kind<{ day: Set<number>; period: BitSet }> = {
  create: () => ({ day: new Set(), period: new BitSet() }),
  feed: (a, u) => {
    a.day.add(u as number);
  },
  encode: (a, rank) => encodeUsers(a.day, rank),
  merge: (a, s, users) => {
    forEachUser(s as string, (r) => a.period.add(users[r]!));
  },
  value: (a) => a?.period.size ?? 0,
};

const distinctKey: Kind<Set<string>> = {
  create: () => new Set(),
  feed: (a, k) => {
    a.add(k as string);
  },
  encode: (a) => [...a].sort(compare),
  merge: (a, s) => {
    for (const k of s as string[]) a.add(k);
  },
  value: (a) => a?.size ?? 0,
};

const kinds = {
  count,
  sum,
  avg,
  min: extreme((x, y) => x < y),
  max: extreme((x, y) => x > y),
  distinctUser,
  distinctKey,
};

function kindOf(term: AggregateExpr): Kind<unknown> {
  switch (term.fn) {
    case 'distinct':
      return (
        term.field?.in === 'event' && term.field.name === 'userId' ? kinds.distinctUser : kinds.distinctKey
      ) as Kind<unknown>;
    default:
      return kinds[term.fn] as Kind<unknown>;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Merging days into a period

/** Where a day stands in a period: one of its counted days, or a day after it that only retention returns read. */
export type DayRole = { kind: 'period'; index: number } | { kind: 'lookahead'; index: number };

/**
 * The merge of a period's day summaries for some inputs: feed each counted day (and, for retention, the days after
 * them) once, in any order, then read any formula over those inputs.
 */
export class PeriodMerge {
  private readonly inputs: Map<string, MergedInput>;
  private readonly periodDays: number;
  /** Inputs a fed day lacked (its summary predates them): the caller must summarize that day again. */
  readonly missing = new Set<string>();

  constructor(inputs: readonly SummaryInput[], periodDays: number, lookaheadDays: number) {
    this.periodDays = periodDays;
    this.inputs = new Map(
      inputs.map((input) => [
        input.key,
        input.term.kind === 'retention'
          ? new MergedRetention(input.term, periodDays, periodDays + lookaheadDays)
          : new MergedAggregate(kindOf(input.term)),
      ]),
    );
  }

  /** Adds one day's summary; `users` maps its user positions to period-dense numbers (see UserNumbers). */
  addDay(summary: DaySummary, role: DayRole, users: Int32Array): void {
    for (const [key, merged] of this.inputs) {
      const data = summary.inputs[key];
      if (data === undefined) {
        this.missing.add(`${summary.day}: ${key}`);
        continue;
      }
      merged.add(data, role, users, this.periodDays);
    }
  }

  /** The formula's value, its inputs and its values per scope (scopeBy: the KPI's), as createEvaluator gives them. */
  result(formula: Formula, scopeBy: string | undefined): KpiResult {
    const terms = new Map<string, { term: TermExpr; merged: MergedInput }>();
    for (const term of formulaTerms(formula)) {
      const label = formatTerm(term);
      if (terms.has(label)) continue;
      const merged = this.inputs.get(inputKey(term, scopeBy));
      if (merged === undefined) throw new Error(`input ${inputKey(term, scopeBy)} was not merged`);
      terms.set(label, { term, merged });
    }
    const read = (scope: string | undefined): KpiValue => {
      const values = new Map<string, number | null>();
      const inputs: [string, number | null][] = [];
      for (const [label, { merged }] of terms) values.set(label, merged.read(scope, label, inputs));
      const value = evaluateFormula(formula, (t) => values.get(formatTerm(t)) ?? null);
      return { value, inputs: Object.fromEntries(inputs) };
    };
    const scopes = new Set<string>();
    if (scopeBy !== undefined) for (const { merged } of terms.values()) for (const s of merged.seen) scopes.add(s);
    const byScope = [...scopes].sort(compare).map((s) => [s, read(s)] as const);
    return { ...read(undefined), byScope: Object.fromEntries(byScope) };
  }
}

interface MergedInput {
  readonly seen: Set<string>;
  add(data: InputData, role: DayRole, users: Int32Array, periodDays: number): void;
  /** Pushes the labelled inputs of the total (scope undefined) or one scope, and returns the term's value. */
  read(scope: string | undefined, label: string, inputs: [string, number | null][]): number | null;
}

class MergedAggregate implements MergedInput {
  readonly seen = new Set<string>();
  private readonly kind: Kind<unknown>;
  private readonly total: unknown;
  private readonly scoped = new Map<string, unknown>();

  constructor(kind: Kind<unknown>) {
    this.kind = kind;
    this.total = kind.create();
  }

  add(data: InputData, role: DayRole, users: Int32Array): void {
    // Aggregates read period days only.
    if (role.kind !== 'period') return;
    for (const s of data.seen) this.seen.add(s);
    this.kind.merge(this.total, data.t, users);
    for (const [scope, stored] of Object.entries(data.s)) {
      let state = this.scoped.get(scope);
      if (state === undefined) {
        state = this.kind.create();
        this.scoped.set(scope, state);
      }
      this.kind.merge(state, stored, users);
    }
  }

  read(scope: string | undefined, label: string, inputs: [string, number | null][]): number | null {
    const value = this.kind.value(scope === undefined ? this.total : this.scoped.get(scope));
    inputs.push([label, value]);
    return value;
  }
}

/**
 * retention(A -> B, N days) over the period's days d: the (user, d) pairs with A on d whose user has B on d + N.
 * Cohorts are kept per counted day (and per scope: the cohort event's scope decides), returns per day as bits.
 */
class MergedRetention implements MergedInput {
  readonly seen = new Set<string>();
  private readonly offset: number;
  private readonly cohorts: Int32Array[][];
  private readonly scopedCohorts = new Map<string, Int32Array[][]>();
  private readonly returns: BitSet[];

  constructor(term: RetentionExpr, periodDays: number, feedDays: number) {
    this.offset = term.days;
    this.cohorts = Array.from({ length: periodDays }, () => []);
    this.returns = Array.from({ length: feedDays }, () => new BitSet());
  }

  add(data: InputData, role: DayRole, users: Int32Array, periodDays: number): void {
    const t = data.t as { c: string; r: string };
    const day = role.kind === 'period' ? role.index : periodDays + role.index;
    const returns = this.returns[day];
    if (returns !== undefined) forEachUser(t.r, (r) => returns.add(users[r]!));
    if (role.kind !== 'period') return;
    for (const s of data.seen) this.seen.add(s);
    this.cohorts[role.index]!.push(mapUsers(t.c, users));
    for (const [scope, stored] of Object.entries(data.s)) {
      let byDay = this.scopedCohorts.get(scope);
      if (byDay === undefined) {
        byDay = Array.from({ length: this.cohorts.length }, () => []);
        this.scopedCohorts.set(scope, byDay);
      }
      byDay[role.index]!.push(mapUsers(stored as string, users));
    }
  }

  read(scope: string | undefined, label: string, inputs: [string, number | null][]): number | null {
    const byDay = scope === undefined ? this.cohorts : this.scopedCohorts.get(scope);
    let cohort = 0;
    let returned = 0;
    byDay?.forEach((lists, d) => {
      const back = this.returns[d + this.offset];
      // A day fed twice (its summary read twice) would count its cohort twice: a set per day, as the raw pass has.
      const members = lists.length === 1 ? lists[0]! : new Set(lists.flatMap((l) => [...l]));
      for (const u of members) {
        cohort++;
        if (back?.has(u)) returned++;
      }
    });
    const value = cohort === 0 ? null : returned / cohort;
    inputs.push([label, value], [`cohort of ${label}`, cohort], [`returned of ${label}`, returned]);
    return value;
  }
}

/** Period-dense numbers for user ids, shared by every merge of one rollup so each day's list is mapped once. */
export class UserNumbers {
  private readonly ids = new Map<string, number>();

  /** The period-dense number of each of the summary's users, by position. */
  of(summary: DaySummary): Int32Array {
    const out = new Int32Array(summary.users.length);
    summary.users.forEach((id, i) => {
      let u = this.ids.get(id);
      if (u === undefined) {
        u = this.ids.size;
        this.ids.set(id, u);
      }
      out[i] = u;
    });
    return out;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Encoding: user sets as ascending positions, delta-coded in LEB128 varints, base64; summaries as compressed JSON.

function encodeUsers(set: Iterable<number>, rank: Int32Array): string {
  const positions = Int32Array.from(set, (u) => rank[u]!).sort();
  const bytes: number[] = [];
  let last = -1;
  for (const p of positions) {
    let d = p - last;
    last = p;
    while (d >= 0x80) {
      bytes.push((d & 0x7f) | 0x80);
      d >>>= 7;
    }
    bytes.push(d);
  }
  return Buffer.from(bytes).toString('base64');
}

function forEachUser(encoded: string, fn: (position: number) => void): void {
  const bytes = Buffer.from(encoded, 'base64');
  let last = -1;
  let d = 0;
  let shift = 0;
  for (const b of bytes) {
    d |= (b & 0x7f) << shift;
    if (b & 0x80) {
      shift += 7;
      continue;
    }
    last += d;
    fn(last);
    d = 0;
    shift = 0;
  }
}

function mapUsers(encoded: string, users: Int32Array): Int32Array {
  const out: number[] = [];
  forEachUser(encoded, (r) => out.push(users[r]!));
  return Int32Array.from(out);
}

export function encodeSummary(summary: DaySummary): Buffer {
  return zstdCompressSync(Buffer.from(JSON.stringify(summary)));
}

export function decodeSummary(bytes: Uint8Array): DaySummary {
  return JSON.parse(zstdDecompressSync(bytes).toString()) as DaySummary;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
