// The naive design the ingest benchmark compares against: no raw events, but live counters. Per event, a
// conditional PutItem idempotency record (attribute_not_exists), then one UpdateItem ADD per KPI input the event
// feeds, derived from the config's formulas (formulaTerms): count/sum/avg add to a per-day counter (scope values as
// extra attributes of the same item, so a scoped KPI costs no extra write); distinct(...) puts a per-day marker per
// key (and per scope value) and bumps the counter when the marker is new; retention(A -> B, N) reuses A's per-day
// markers as the cohort and, on a user's first B of a day, reads (GetItem) the cohort marker N days back.
// Deliberately generous to the naive design: markers are shared between terms, counter items are tiny, and only
// daily counters are kept (weekly and monthly distinct users would need markers and counters per period too).
import type { NightshiftConfig } from '#shared/config/schema.ts';
import type { StoredEvent } from '#shared/events/envelope.ts';
import {
  type Condition,
  type EventSelector,
  type FieldRef,
  formatTerm,
  formulaTerms,
  type Literal,
  parseFormula,
  type TermExpr,
} from '#shared/formula/formula.ts';
import type { Item } from '#shared/store/store.ts';
import { addDays } from '#shared/time/calendar.ts';

const DAY_SECONDS = 86_400;

/** What the naive design asks of DynamoDB, one request each. */
export interface NaiveOps {
  /** PutItem with attribute_not_exists(pk); false when the item was already there (a conditional check failure). */
  putIfAbsent(item: Item): Promise<boolean>;
  /** UpdateItem ADD of numeric attributes. */
  add(pk: string, sk: string, counts: Record<string, number>): Promise<void>;
  /** UpdateItem SET attr = :v when absent or beaten (min/max); a failed condition still costs a write. */
  setIfBetter(pk: string, sk: string, value: number, fn: 'min' | 'max'): Promise<void>;
  /** GetItem (eventually consistent): does the item exist? */
  exists(pk: string, sk: string): Promise<boolean>;
}

type Pred = (e: StoredEvent) => boolean;
type Get = (e: StoredEvent) => unknown;

interface Marker {
  id: string;
  matches: Pred;
  key: Get;
  /** Scope properties this marker is also kept per value of (scoped distinct terms). */
  scopes: Set<string>;
}

interface PlannedTerm {
  id: string;
  label: string;
  expr: TermExpr;
  scopes: string[];
  matches: Pred;
  value?: Get;
  marker?: Marker;
  /** retention: cohort and return markers. */
  cohort?: Marker;
  returning?: Marker;
  /** retention: a distinct term already counts the cohort marker, so its counter is the cohort size. */
  cohortCounted?: boolean;
}

export interface NaivePlan {
  terms: PlannedTerm[];
  markers: Marker[];
  retentionSeconds: number;
}

export interface NaiveEventResult {
  duplicate: boolean;
  newMarkers: number;
}

/** The KPI inputs of the config, each term once (by its canonical text), with the scopes of the KPIs that use it. */
export function planNaive(config: NightshiftConfig, idempotencyDays = 14): NaivePlan {
  const byLabel = new Map<string, { expr: TermExpr; scopes: Set<string> }>();
  for (const kpi of config.kpis) {
    for (const expr of formulaTerms(parseFormula(kpi.formula))) {
      const label = formatTerm(expr);
      const entry = byLabel.get(label) ?? { expr, scopes: new Set<string>() };
      if (kpi.scopeBy) entry.scopes.add(kpi.scopeBy);
      byLabel.set(label, entry);
    }
  }
  const markers = new Map<string, Marker>();
  const markerFor = (sel: EventSelector, field: FieldRef, scopes: Iterable<string>): Marker => {
    const text = `${formatTerm({ kind: 'aggregate', fn: 'distinct', events: sel, field, position: 0 })}`;
    let m = markers.get(text);
    if (!m) {
      m = { id: `m${markers.size}`, matches: selector(sel), key: getter(field), scopes: new Set() };
      markers.set(text, m);
    }
    for (const s of scopes) m.scopes.add(s);
    return m;
  };
  const userId: FieldRef = { in: 'event', name: 'userId' };
  const terms: PlannedTerm[] = [];
  for (const [label, { expr, scopes }] of byLabel) {
    const id = `t${terms.length}`;
    if (expr.kind === 'retention') {
      terms.push({
        id,
        label,
        expr,
        scopes: [],
        matches: () => false,
        cohort: markerFor(expr.cohort, userId, []),
        returning: markerFor(expr.returning, userId, []),
      });
    } else if (expr.fn === 'distinct') {
      const marker = markerFor(expr.events, expr.field!, scopes);
      terms.push({ id, label, expr, scopes: [...scopes], matches: marker.matches, marker });
    } else {
      const t: PlannedTerm = { id, label, expr, scopes: [...scopes], matches: selector(expr.events) };
      if (expr.field) t.value = getter(expr.field);
      terms.push(t);
    }
  }
  for (const t of terms) {
    if (t.cohort) t.cohortCounted = terms.some((d) => d.marker === t.cohort && d.scopes.length === 0);
  }
  return { terms, markers: [...markers.values()], retentionSeconds: idempotencyDays * DAY_SECONDS };
}

/** One event the naive way. Requests of one event run concurrently where they do not depend on each other. */
export async function naiveIngest(e: StoredEvent, plan: NaivePlan, ops: NaiveOps): Promise<NaiveEventResult> {
  const idempotency = { pk: `MSG#${e.messageId}`, sk: '-', ttl: Math.floor(Date.now() / 1000) + plan.retentionSeconds };
  if (!(await ops.putIfAbsent(idempotency))) return { duplicate: true, newMarkers: 0 };
  const ttl = Math.floor(e.ts / 1000) + 3 * DAY_SECONDS;

  // Markers: one conditional put per (marker, key) and per (marker, key, scope value); true when new.
  const fresh = new Map<string, boolean>();
  const puts: Promise<void>[] = [];
  for (const m of plan.markers) {
    if (!m.matches(e)) continue;
    const key = keyOf(m.key(e));
    if (key === undefined) continue;
    const mark = (suffix: string) =>
      puts.push(
        ops.putIfAbsent({ pk: `S#${e.day}#${m.id}${suffix}`, sk: key, ttl }).then((isNew) => {
          fresh.set(m.id + suffix, isNew);
        }),
      );
    mark('');
    for (const s of m.scopes) {
      const v = keyOf(property(e, s));
      if (v !== undefined) mark(`#${v}`);
    }
  }
  await Promise.all(puts);

  const writes: Promise<void>[] = [];
  const counter = `A#${e.day}`;
  for (const t of plan.terms) {
    const expr = t.expr;
    if (expr.kind === 'retention') {
      if (!t.cohortCounted && fresh.get(t.cohort!.id)) writes.push(ops.add(counter, t.id, { cohort: 1 }));
      if (fresh.get(t.returning!.id) && e.userId !== undefined) {
        const cohortDay = addDays(e.day, -expr.days);
        writes.push(
          ops.exists(`S#${cohortDay}#${t.cohort!.id}`, e.userId).then(async (inCohort) => {
            if (inCohort) await ops.add(`A#${cohortDay}`, t.id, { returned: 1 });
          }),
        );
      }
      continue;
    }
    if (!t.matches(e)) continue;
    const scoped = (n: number, counts: Record<string, number>) => {
      for (const s of t.scopes) {
        const v = keyOf(property(e, s));
        if (v !== undefined) counts[`s#${v}`] = n;
      }
      return counts;
    };
    switch (expr.fn) {
      case 'count':
        writes.push(ops.add(counter, t.id, scoped(1, { v: 1 })));
        break;
      case 'sum':
      case 'avg': {
        const x = t.value!(e);
        if (typeof x !== 'number' || !Number.isFinite(x)) break;
        const counts = scoped(x, { v: x });
        if (expr.fn === 'avg') counts.n = 1;
        writes.push(ops.add(counter, t.id, counts));
        break;
      }
      case 'min':
      case 'max': {
        const x = t.value!(e);
        if (typeof x === 'number' && Number.isFinite(x)) writes.push(ops.setIfBetter(counter, t.id, x, expr.fn));
        break;
      }
      case 'distinct': {
        const m = t.marker!;
        const counts: Record<string, number> = {};
        if (fresh.get(m.id)) counts.v = 1;
        for (const s of t.scopes) {
          const v = keyOf(property(e, s));
          if (v !== undefined && fresh.get(`${m.id}#${v}`)) counts[`s#${v}`] = 1;
        }
        if (Object.keys(counts).length > 0) writes.push(ops.add(counter, t.id, counts));
        break;
      }
    }
  }
  await Promise.all(writes);
  let newMarkers = 0;
  for (const v of fresh.values()) if (v) newMarkers++;
  return { duplicate: false, newMarkers };
}

function selector(sel: EventSelector): Pred {
  const where = sel.where ? condition(sel.where) : undefined;
  const name = sel.event;
  if (name === null) return where ?? (() => true);
  return where ? (e) => e.event === name && where(e) : (e) => e.event === name;
}

function condition(c: Condition): Pred {
  switch (c.kind) {
    case 'and': {
      const [l, r] = [condition(c.left), condition(c.right)];
      return (e) => l(e) && r(e);
    }
    case 'or': {
      const [l, r] = [condition(c.left), condition(c.right)];
      return (e) => l(e) || r(e);
    }
    case 'not': {
      const p = condition(c.operand);
      return (e) => !p(e);
    }
    case 'compare': {
      const get = getter(c.field);
      const lit = c.value;
      const same = (v: unknown): v is Literal => typeof v === typeof lit;
      switch (c.op) {
        case '==':
          return (e) => get(e) === lit;
        case '!=':
          return (e) => {
            const v = get(e);
            return v !== undefined && v !== null && v !== lit;
          };
        case '<':
          return (e) => {
            const v = get(e);
            return same(v) && v < lit;
          };
        case '<=':
          return (e) => {
            const v = get(e);
            return same(v) && v <= lit;
          };
        case '>':
          return (e) => {
            const v = get(e);
            return same(v) && v > lit;
          };
        default:
          return (e) => {
            const v = get(e);
            return same(v) && v >= lit;
          };
      }
    }
  }
}

function getter(field: FieldRef): Get {
  if (field.in === 'event') return (e) => e[field.name];
  const path = field.path;
  return (e) => {
    let v: unknown = e.properties;
    for (const k of path) {
      if (typeof v !== 'object' || v === null) return undefined;
      v = (v as Record<string, unknown>)[k];
    }
    return v;
  };
}

function property(e: StoredEvent, dotted: string): unknown {
  let v: unknown = e.properties;
  for (const k of dotted.split('.')) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<string, unknown>)[k];
  }
  return v;
}

function keyOf(v: unknown): string | undefined {
  if (typeof v === 'string') return v === '' ? undefined : v;
  if ((typeof v === 'number' && Number.isFinite(v)) || typeof v === 'boolean') return String(v);
  return undefined;
}
