// Evaluates a parsed KPI formula over one period's events in a single streaming pass, exactly: each term keeps
// its own accumulator (count, exact sum, set of ids, per-user day bits) and only sees the events it reads.

import type { StoredEvent } from '#shared/events/envelope.ts';
import {
  type AggregateExpr,
  type ArithmeticOp,
  type CompareOp,
  type Condition,
  type EventSelector,
  type Expr,
  type FieldRef,
  type Formula,
  formatTerm,
  formulaLookaheadDays,
  formulaTerms,
  type Literal,
  type RetentionExpr,
  type TermExpr,
} from '#shared/formula/formula.ts';
import { addDays, isLocalDate } from '#shared/time/calendar.ts';
import { ExactSum } from './exact-sum.ts';

/** The evaluator reads events exactly as they are stored: the local day was computed once, at ingest. */
export type KpiEvent = StoredEvent;

export interface EvaluatorOptions {
  /** Local days of the period, consecutive and ascending. */
  periodDays: readonly string[];
  /** Also compute the formula per value of this (possibly nested, dotted) event property. */
  scopeBy?: string;
  /**
   * Share one index between the evaluators fed the same events, so each event's userId is hashed once however
   * many formulas read it (hashing a fresh string into a large table is the main per-event cost).
   */
  users?: UserIndex;
}

export interface KpiValue {
  /** null = no value (a zero denominator, an average of nothing, an empty retention cohort). */
  value: number | null;
  /** Each term's value by its canonical text, e.g. 'count("Order Completed")'; retention adds its cohort and returned counts. */
  inputs: Record<string, number | null>;
}

export interface KpiResult extends KpiValue {
  /** Per scope value (only with scopeBy), for every scope value seen on a period event the formula reads. */
  byScope: Record<string, KpiValue>;
}

export interface KpiEvaluator {
  /** Days after the period the caller must also feed (largest retention offset), 0 without retention. */
  readonly lookaheadDays: number;
  /** Every day to feed: the period days, then the lookahead days. */
  readonly days: readonly string[];
  /** Feeds one event, in any order; events of other days are ignored. No deduplication by messageId. */
  add(event: KpiEvent): void;
  /** The values so far; cheap to call again, does not reset. */
  result(): KpiResult;
}

export function createEvaluator(formula: Formula, options: EvaluatorOptions): KpiEvaluator {
  const lookaheadDays = formulaLookaheadDays(formula);
  const days = feedDays(options.periodDays, lookaheadDays);
  const periodLength = options.periodDays.length;
  const dayIndex = new Map(days.map((d, i) => [d, i]));

  const users = options.users ?? new UserIndex();
  const terms = new Map<string, Term>();
  const termOf = new Map<TermExpr, Term>();
  for (const expr of formulaTerms(formula)) {
    const label = formatTerm(expr);
    let term = terms.get(label);
    if (!term) {
      term =
        expr.kind === 'retention'
          ? new RetentionTerm(expr, label, users, periodLength, days.length)
          : aggregate(expr, label, users);
      terms.set(label, term);
    }
    termOf.set(expr, term);
  }
  const routes = buildRoutes([...terms.values()]);
  const scopes = new ScopeRegistry(options.scopeBy);

  const add = (ev: KpiEvent): void => {
    const day = dayIndex.get(ev.day);
    if (day === undefined) return;
    // Lookahead days only feed retention returns, and never open a scope.
    const table = day < periodLength ? routes.period : routes.lookahead;
    const named = table.byEvent.get(ev.event);
    if (named === undefined && table.any.length === 0) return;
    const scope = day < periodLength ? scopes.of(ev) : -1;
    if (named !== undefined) for (const h of named) h(ev, day, scope);
    for (const h of table.any) h(ev, day, scope);
  };

  const read = (scope: number): KpiValue => {
    const values = new Map<Term, number | null>();
    const inputs: [string, number | null][] = [];
    for (const term of terms.values()) values.set(term, term.read(scope, inputs));
    const value = evaluateFormula(formula, (expr) => values.get(termOf.get(expr)!) ?? null);
    return { value, inputs: Object.fromEntries(inputs) };
  };

  const result = (): KpiResult => {
    const byScope = scopes.sorted().map(([name, i]) => [name, read(i)] as const);
    return { ...read(-1), byScope: Object.fromEntries(byScope) };
  };

  return { lookaheadDays, days, add, result };
}

function feedDays(periodDays: readonly string[], lookahead: number): string[] {
  const first = periodDays[0];
  if (first === undefined) throw new Error('periodDays is empty: expected the local days of the period');
  periodDays.forEach((d, i) => {
    const expected = i === 0 ? d : addDays(periodDays[i - 1]!, 1);
    if (!isLocalDate(d) || d !== expected) {
      throw new Error(`periodDays must be consecutive YYYY-MM-DD days in ascending order; got '${d}' at index ${i}`);
    }
  });
  const last = periodDays.at(-1)!;
  return [...periodDays, ...Array.from({ length: lookahead }, (_, k) => addDays(last, k + 1))];
}

// ---------------------------------------------------------------------------------------------------------------
// Formula arithmetic

/** The formula's value from its terms' values (the arithmetic around the terms). */
export function evaluateFormula(expr: Expr, termValue: (t: TermExpr) => number | null): number | null {
  switch (expr.kind) {
    case 'number':
      return expr.value;
    case 'negate': {
      const v = evaluateFormula(expr.operand, termValue);
      return v === null ? null : arithmetic('-', 0, v);
    }
    case 'binary':
      return arithmetic(expr.op, evaluateFormula(expr.left, termValue), evaluateFormula(expr.right, termValue));
    default:
      return termValue(expr);
  }
}

/** null propagates; a zero divisor or an overflow gives null rather than Infinity; -0 reads as 0. */
function arithmetic(op: ArithmeticOp, a: number | null, b: number | null): number | null {
  if (a === null || b === null) return null;
  let r: number;
  if (op === '+') r = a + b;
  else if (op === '-') r = a - b;
  else if (op === '*') r = a * b;
  else if (b === 0) return null;
  else r = a / b;
  if (!Number.isFinite(r)) return null;
  return r === 0 ? 0 : r;
}

// ---------------------------------------------------------------------------------------------------------------
// Routing: per event name, the handlers that read it, so an event costs one map lookup plus its own terms.

/** `day` indexes the feed days; `scope` indexes the scope registry, -1 = no scope. */
type Handler = (ev: KpiEvent, day: number, scope: number) => void;

interface Route {
  event: string | null;
  /** Period-only routes ignore lookahead days (everything but retention returns). */
  periodOnly: boolean;
  handle: Handler;
}

interface RouteTable {
  byEvent: Map<string, Handler[]>;
  any: Handler[];
}

function buildRoutes(terms: Term[]): { period: RouteTable; lookahead: RouteTable } {
  const period: RouteTable = { byEvent: new Map(), any: [] };
  const lookahead: RouteTable = { byEvent: new Map(), any: [] };
  const put = (table: RouteTable, r: Route) => {
    if (r.event === null) table.any.push(r.handle);
    else table.byEvent.set(r.event, [...(table.byEvent.get(r.event) ?? []), r.handle]);
  };
  for (const r of terms.flatMap((t) => t.routes)) {
    put(period, r);
    if (!r.periodOnly) put(lookahead, r);
  }
  return { period, lookahead };
}

class ScopeRegistry {
  private readonly get: Getter | undefined;
  private readonly index = new Map<string, number>();

  constructor(scopeBy: string | undefined) {
    this.get = scopeBy === undefined ? undefined : getter({ in: 'properties', path: scopeBy.split('.') });
  }

  of(ev: KpiEvent): number {
    if (this.get === undefined) return -1;
    const key = keyOf(this.get(ev));
    if (key === undefined) return -1;
    let i = this.index.get(key);
    if (i === undefined) {
      i = this.index.size;
      this.index.set(key, i);
    }
    return i;
  }

  sorted(): [string, number][] {
    return [...this.index].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Reading events: field getters, where predicates, value and key extraction.

export type Getter = (ev: KpiEvent) => unknown;
export type Predicate = (ev: KpiEvent) => boolean;

export function getter(field: FieldRef): Getter {
  if (field.in === 'event') {
    const name = field.name;
    return (ev) => ev[name];
  }
  const [first, ...rest] = field.path as [string, ...string[]];
  if (rest.length === 0) return (ev) => ev.properties[first];
  return (ev) => {
    let v: unknown = ev.properties[first];
    for (const k of rest) {
      if (v === null || typeof v !== 'object') return undefined;
      v = (v as Record<string, unknown>)[k];
    }
    return v;
  };
}

function predicate(c: Condition): Predicate {
  switch (c.kind) {
    case 'and': {
      const [l, r] = [predicate(c.left), predicate(c.right)];
      return (ev) => l(ev) && r(ev);
    }
    case 'or': {
      const [l, r] = [predicate(c.left), predicate(c.right)];
      return (ev) => l(ev) || r(ev);
    }
    case 'not': {
      const p = predicate(c.operand);
      return (ev) => !p(ev);
    }
    case 'compare':
      return comparison(getter(c.field), c.op, c.value);
  }
}

/**
 * Values compare only with literals of their own type (no '9' == 9), and a missing property makes every
 * comparison false, '!=' included; `not (x == 1)` is how to include events without x.
 */
function comparison(get: Getter, op: CompareOp, lit: Literal): Predicate {
  const type = typeof lit;
  switch (op) {
    case '==':
      return (ev) => get(ev) === lit;
    case '!=':
      return (ev) => {
        const v = get(ev);
        return v !== undefined && v !== null && v !== lit;
      };
    case '<':
      return (ev) => {
        const v = get(ev);
        return typeof v === type && (v as Literal) < lit;
      };
    case '<=':
      return (ev) => {
        const v = get(ev);
        return typeof v === type && (v as Literal) <= lit;
      };
    case '>':
      return (ev) => {
        const v = get(ev);
        return typeof v === type && (v as Literal) > lit;
      };
    default:
      return (ev) => {
        const v = get(ev);
        return typeof v === type && (v as Literal) >= lit;
      };
  }
}

export function numberOf(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** A distinct key or scope name: strings as they are, numbers and booleans as text; empty and other values are no key. */
export function keyOf(v: unknown): string | undefined {
  if (typeof v === 'string') return v === '' ? undefined : v;
  if ((typeof v === 'number' && Number.isFinite(v)) || typeof v === 'boolean') return String(v);
  return undefined;
}

export function selectorPredicate(sel: EventSelector): Predicate | undefined {
  return sel.where ? predicate(sel.where) : undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Terms

interface Term {
  readonly routes: readonly Route[];
  /** Pushes this term's labelled inputs for the total (scope -1) or one scope, and returns its value. */
  read(scope: number, inputs: [string, number | null][]): number | null;
}

/** How one aggregate function accumulates: X is what it takes from an event, A its per-scope state. */
interface Accumulator<X, A> {
  extract(ev: KpiEvent): X | undefined;
  create(): A;
  feed(acc: A, x: X): void;
  /** `undefined` when the scope never reached this term. */
  value(acc: A | undefined): number | null;
}

function aggregate(expr: AggregateExpr, label: string, users: UserIndex): Term {
  const get = expr.field ? getter(expr.field) : () => undefined;
  const num = (ev: KpiEvent) => numberOf(get(ev));
  switch (expr.fn) {
    case 'count':
      return new AggregateTerm(expr.events, label, {
        extract: () => true,
        create: () => ({ n: 0 }),
        feed: (a) => {
          a.n++;
        },
        value: (a) => a?.n ?? 0,
      });
    case 'sum':
      return new AggregateTerm(expr.events, label, {
        extract: num,
        create: () => new ExactSum(),
        feed: (a, x) => a.add(x),
        value: (a) => a?.value() ?? 0,
      });
    case 'avg':
      return new AggregateTerm(expr.events, label, {
        extract: num,
        create: () => ({ sum: new ExactSum(), n: 0 }),
        feed: (a, x) => {
          a.sum.add(x);
          a.n++;
        },
        value: (a) => (a === undefined || a.n === 0 ? null : a.sum.value() / a.n),
      });
    case 'min':
    case 'max': {
      const better = expr.fn === 'min' ? (x: number, y: number) => x < y : (x: number, y: number) => x > y;
      return new AggregateTerm(expr.events, label, {
        extract: num,
        create: () => ({ v: null as number | null }),
        feed: (a, x) => {
          if (a.v === null || better(x, a.v)) a.v = x;
        },
        value: (a) => a?.v ?? null,
      });
    }
    case 'distinct':
      if (expr.field?.in === 'event' && expr.field.name === 'userId') {
        // Users are already dense numbers: a bit per user instead of a set of strings.
        return new AggregateTerm(expr.events, label, {
          extract: (ev) => {
            const u = users.of(ev);
            return u < 0 ? undefined : u;
          },
          create: () => new BitSet(),
          feed: (a, u) => a.add(u),
          value: (a) => a?.size ?? 0,
        });
      }
      return new AggregateTerm(expr.events, label, {
        extract: (ev) => keyOf(get(ev)),
        create: () => new Set<string>(),
        feed: (a, x) => a.add(x),
        value: (a) => a?.size ?? 0,
      });
  }
}

class AggregateTerm<X, A> implements Term {
  readonly routes: Route[];
  private readonly label: string;
  private readonly acc: Accumulator<X, A>;
  private readonly total: A;
  private readonly scoped: (A | undefined)[] = [];

  constructor(events: EventSelector, label: string, acc: Accumulator<X, A>) {
    this.label = label;
    this.acc = acc;
    this.total = acc.create();
    const where = selectorPredicate(events);
    const handle: Handler = (ev, _day, scope) => {
      if (where !== undefined && !where(ev)) return;
      const x = acc.extract(ev);
      if (x === undefined) return;
      acc.feed(this.total, x);
      if (scope >= 0) acc.feed(this.scopeState(scope), x);
    };
    this.routes = [{ event: events.event, periodOnly: true, handle }];
  }

  private scopeState(scope: number): A {
    let state = this.scoped[scope];
    if (state === undefined) {
      state = this.acc.create();
      this.scoped[scope] = state;
    }
    return state;
  }

  read(scope: number, inputs: [string, number | null][]): number | null {
    const value = this.acc.value(scope < 0 ? this.total : this.scoped[scope]);
    inputs.push([this.label, value]);
    return value;
  }
}

/**
 * Dense numbers for user ids. Evaluators fed the same event objects in turn can share one: the last id is
 * remembered, so the second and later lookups of an event are a string comparison, not a hash.
 */
export class UserIndex {
  private readonly ids = new Map<string, number>();
  private lastId: string | undefined;
  private lastNumber = -1;

  /** The user's number, -1 for anonymous events (they cannot be counted or followed to another day). */
  of(ev: KpiEvent): number {
    const id = ev.userId;
    if (id === this.lastId) return this.lastNumber;
    let u = -1;
    if (typeof id === 'string' && id !== '') {
      u = this.ids.get(id) ?? -1;
      if (u < 0) {
        u = this.ids.size;
        this.ids.set(id, u);
      }
    }
    this.lastId = id;
    this.lastNumber = u;
    return u;
  }

  get size(): number {
    return this.ids.size;
  }
}

/** A growable set of small non-negative integers. */
export class BitSet {
  private words = new Uint32Array(0);
  size = 0;

  add(i: number): void {
    const w = i >>> 5;
    if (w >= this.words.length) {
      const next = new Uint32Array(Math.max(64, (w + 1) * 2));
      next.set(this.words);
      this.words = next;
    }
    const word = this.words[w]!;
    const bit = 1 << (i & 31);
    if ((word & bit) === 0) {
      this.words[w] = word | bit;
      this.size++;
    }
  }

  has(i: number): boolean {
    const word = this.words[i >>> 5];
    return word !== undefined && (word & (1 << (i & 31))) !== 0;
  }
}

/**
 * retention(A -> B, N days): over the period's cohort days d, the share of (user, d) pairs with A on d whose
 * user also has B on d + N. Users get dense numbers so cohort and return days are bits in flat tables: memory is
 * a few bytes per distinct user, whatever the number of events. Per scope only the cohort differs (the cohort
 * event's scope decides), so scoped cohorts are sets of (user, day) keys and returns are shared.
 */
class RetentionTerm implements Term {
  readonly routes: Route[];
  private readonly label: string;
  private readonly users: UserIndex;
  private readonly periodLength: number;
  private readonly offset: number;
  private readonly cohort: BitTable;
  private readonly returned: BitTable;
  private readonly scoped: (Set<number> | undefined)[] = [];

  constructor(expr: RetentionExpr, label: string, users: UserIndex, periodLength: number, feedLength: number) {
    this.label = label;
    this.users = users;
    this.periodLength = periodLength;
    this.offset = expr.days;
    this.cohort = new BitTable(periodLength);
    this.returned = new BitTable(feedLength);
    const inCohort = selectorPredicate(expr.cohort);
    const isReturn = selectorPredicate(expr.returning);
    const onCohort: Handler = (ev, day, scope) => {
      if (inCohort !== undefined && !inCohort(ev)) return;
      const u = this.users.of(ev);
      if (u < 0) return;
      this.cohort.set(u, day);
      if (scope >= 0) this.scopeCohort(scope).add(u * periodLength + day);
    };
    const onReturn: Handler = (ev, day) => {
      if (isReturn !== undefined && !isReturn(ev)) return;
      const u = this.users.of(ev);
      if (u >= 0) this.returned.set(u, day);
    };
    this.routes = [
      { event: expr.cohort.event, periodOnly: true, handle: onCohort },
      { event: expr.returning.event, periodOnly: false, handle: onReturn },
    ];
  }

  private scopeCohort(scope: number): Set<number> {
    let keys = this.scoped[scope];
    if (keys === undefined) {
      keys = new Set();
      this.scoped[scope] = keys;
    }
    return keys;
  }

  read(scope: number, inputs: [string, number | null][]): number | null {
    const { cohort, returned } = scope < 0 ? this.tallyTotal() : this.tallyScope(scope);
    const value = cohort === 0 ? null : returned / cohort;
    inputs.push([this.label, value], [`cohort of ${this.label}`, cohort], [`returned of ${this.label}`, returned]);
    return value;
  }

  private tallyTotal(): { cohort: number; returned: number } {
    let cohort = 0;
    let returned = 0;
    for (let u = 0; u < this.users.size; u++) {
      this.cohort.forEachBit(u, (day) => {
        cohort++;
        if (this.returned.has(u, day + this.offset)) returned++;
      });
    }
    return { cohort, returned };
  }

  private tallyScope(scope: number): { cohort: number; returned: number } {
    const keys = this.scoped[scope];
    let returned = 0;
    for (const key of keys ?? []) {
      const u = Math.floor(key / this.periodLength);
      if (this.returned.has(u, key - u * this.periodLength + this.offset)) returned++;
    }
    return { cohort: keys?.size ?? 0, returned };
  }
}

/** One row of `bits` bits per dense user number, grown by doubling. */
class BitTable {
  private words = new Uint32Array(0);
  private readonly stride: number;

  constructor(bits: number) {
    this.stride = Math.ceil(bits / 32);
  }

  set(row: number, bit: number): void {
    const i = row * this.stride + (bit >>> 5);
    if (i >= this.words.length) this.grow(i);
    this.words[i] = this.words[i]! | (1 << (bit & 31));
  }

  has(row: number, bit: number): boolean {
    const word = this.words[row * this.stride + (bit >>> 5)];
    return word !== undefined && (word & (1 << (bit & 31))) !== 0;
  }

  forEachBit(row: number, fn: (bit: number) => void): void {
    for (let w = 0; w < this.stride; w++) {
      let word = this.words[row * this.stride + w] ?? 0;
      while (word !== 0) {
        const low = word & -word;
        fn(w * 32 + 31 - Math.clz32(low));
        word ^= low;
      }
    }
  }

  private grow(index: number): void {
    const next = new Uint32Array(Math.max(1024, (index + this.stride) * 2));
    next.set(this.words);
    this.words = next;
  }
}
