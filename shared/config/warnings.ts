// Values a config may hold that are almost certainly slips: the config loads, and `validate` and every command say
// what and where. Read from the file as written, not as parsed: `pct: 0.2` and `pct: 0.2%` parse alike, and only the
// first is a slip.
import { type Document, isMap, isScalar, isSeq, type Node } from 'yaml';
import {
  type Condition,
  type EventSelector,
  editDistance,
  formulaReads,
  formulaTerms,
  nearestName,
  parseFormula,
  shareScale,
  termSelectors,
} from '#shared/formula/formula.ts';
import { skippedLocalTime } from '#shared/time/calendar.ts';
import { at, DST_CHECK_DAYS, hasChecks, list, type NightshiftConfig } from './schema.ts';

/** A warning at a path of the file (`['alerts', 'rules', 0, 'all', 1, 'change', 'pct']`). */
export interface ConfigWarning {
  path: (string | number)[];
  message: string;
  /** Where in the file (1-based), for a warning about how it is written. */
  line?: number;
}

/** A number as people write it: 0.2 * 100 is 20, not 20.000000000000004. */
export const plain = (n: number): string => String(+n.toPrecision(12));

/** The warnings of a config file that validated: `raw` is the file's YAML as read, `config` what the schema made of it. */
export function configWarnings(raw: unknown, config: NightshiftConfig): ConfigWarning[] {
  return [
    ...changePercents(raw),
    ...unitMixUps(raw, config),
    ...alarmsInsideTargets(raw, config),
    ...expectedEventSlips(config),
    ...formulaEventSlips(config),
    ...formulaPropertySlips(config),
    ...idleChecksTime(raw, config),
  ];
}

/**
 * A change rule's pct is in percent (25 is 25%): a number between 0 and 1 is most likely a share written for it
 * (0.2 for 20%), which would fire on every 0.2% wobble. Written with its sign ('0.2%') it is meant.
 */
function* changePercents(raw: unknown): Generator<ConfigWarning> {
  for (const [i, rule] of list(raw, 'alerts', 'rules').entries()) {
    for (const [j, condition] of list(rule, 'all').entries()) {
      const pct = at(condition, 'change', 'pct');
      if (typeof pct !== 'number' || !(pct > 0 && pct < 1)) continue;
      yield {
        path: ['alerts', 'rules', i, 'all', j, 'change', 'pct'],
        message: `pct is in percent: ${plain(pct)} means ${plain(pct)}%, did you mean ${plain(pct * 100)}?`,
      };
    }
  }
}

/** Units whose values are not shares: a bound written as a percentage (30%, read as 0.3) does not fit them. */
const NOT_SHARES = new Set(['count', 'currency', 'score']);

/**
 * Target and alarm bounds that mix up the KPI's unit. `unit: percent` values are shares (0.3 shows as 30%), so a plain
 * number above 1 there (`min: 1.8`) is most likely a percent without its sign; a bound written with a percent sign
 * reads as a share (30% is 0.3), which a count, currency or score KPI's values are not, unless the formula is a
 * share and the unit is what is wrong; a formula that is 100 times a share is in percent points already. A bound a
 * share formula can never reach is an error (schema.ts `shareBounds`), not one of these.
 */
function* unitMixUps(raw: unknown, config: NightshiftConfig): Generator<ConfigWarning> {
  const written = list(raw, 'kpis');
  for (const [i, kpi] of config.kpis.entries()) {
    const scale = shareScale(parseFormula(kpi.formula));
    if (kpi.unit === 'percent' && scale !== undefined && scale > 1) {
      yield {
        path: ['kpis', i, 'unit'],
        message: `the formula is ${plain(scale)} times a share, and unit: percent multiplies by 100 again (a value of 30 shows as 3000%); drop the ${plain(scale)} * from the formula, or use unit: score`,
      };
    }
    for (const which of ['target', 'alarm'] as const) {
      for (const bound of ['min', 'max'] as const) {
        const value = at(written[i], which, bound);
        const parsed = kpi[which]?.[bound];
        if (value === undefined || parsed === undefined) continue;
        const path = ['kpis', i, which, bound];
        const asWritten = typeof value === 'string' ? value.trim() : plain(parsed);
        if (kpi.unit === 'percent' && scale === undefined && typeof value === 'number' && value > 1) {
          yield {
            path,
            message: `unit: percent values are shares (0.3 shows as 30%), so ${asWritten} means ${plain(value * 100)}%; did you mean ${asWritten}%?`,
          };
        } else if (NOT_SHARES.has(kpi.unit) && typeof value === 'string') {
          yield {
            path,
            message:
              scale === 1
                ? `${asWritten} reads as the share ${plain(parsed)}, and the formula is a share, but unit: ${kpi.unit} shows it as a plain number; did you mean unit: percent?`
                : `${asWritten} reads as the share ${plain(parsed)}, but unit: ${kpi.unit} values are not shares; did you mean ${plain(parsed * 100)}?`,
          };
        } else if (kpi.unit !== 'percent' && scale !== undefined && scale > 1 && parsed > 0 && parsed < 1) {
          yield {
            path,
            message: `the formula is ${plain(scale)} times a share (percent points, 30 for 30%), so ${asWritten} is ${plain(parsed)} of ${plain(scale)}; did you mean ${plain(parsed * 100)}?`,
          };
        }
      }
    }
  }
}

/**
 * An expected event no KPI formula reads, a typo or a case away from one they do: most likely the same stream misspelt.
 * Its stream would be watched only from its first event on, so never. (Which names arrive, the config cannot know:
 * the rollup and detect note those against the events.)
 */
function* expectedEventSlips(config: NightshiftConfig): Generator<ConfigWarning> {
  const read = new Set(config.kpis.flatMap((k) => formulaReads(parseFormula(k.formula)).events));
  for (const [i, e] of config.alerts.expectedEvents.entries()) {
    if (read.has(e.event)) continue;
    const meant = nearestName(e.event, read);
    if (meant === undefined || editDistance(meant.toLowerCase(), e.event.toLowerCase()) > 2) continue;
    yield {
      path: ['alerts', 'expectedEvents', i, 'event'],
      message: `no KPI formula reads "${e.event}", and they read "${meant}": did you mean "${meant}"? (event names are matched exactly, case included; a stream is watched from its first event on)`,
    };
  }
}

/** A bound as the file wrote it ('3.5%'), or as a percent KPI shows it when written as a share (0.035 is 3.5%). */
function boundText(written: unknown, value: number, unit: string): string {
  if (typeof written === 'string') return written.trim();
  return unit === 'percent' ? `${plain(value * 100)}%` : plain(value);
}

/**
 * An alarm bound on the good side of the target: a floor above the target's minimum (or a ceiling below its maximum)
 * raises a critical alarm on values that meet the target. Alarm bounds are the worse level, beyond the target.
 */
function* alarmsInsideTargets(raw: unknown, config: NightshiftConfig): Generator<ConfigWarning> {
  const written = list(raw, 'kpis');
  for (const [i, kpi] of config.kpis.entries()) {
    const { target, alarm } = kpi;
    // Bounds per day and per period are not comparable as numbers.
    if (!target || !alarm || target.per !== alarm.per) continue;
    const shown = (which: 'target' | 'alarm', bound: 'min' | 'max', value: number) =>
      boundText(at(written[i], which, bound), value, kpi.unit);
    if (alarm.min !== undefined && target.min !== undefined && alarm.min > target.min) {
      const [a, t] = [shown('alarm', 'min', alarm.min), shown('target', 'min', target.min)];
      yield {
        path: ['kpis', i, 'alarm', 'min'],
        message: `the alarm floor ${a} is above the target's ${t}: a value between them meets the target and still raises the alarm; an alarm floor is the worse level, below the target (were the two swapped?)`,
      };
    }
    if (alarm.max !== undefined && target.max !== undefined && alarm.max < target.max) {
      const [a, t] = [shown('alarm', 'max', alarm.max), shown('target', 'max', target.max)];
      yield {
        path: ['kpis', i, 'alarm', 'max'],
        message: `the alarm ceiling ${a} is below the target's ${t}: a value between them meets the target and still raises the alarm; an alarm ceiling is the worse level, above the target (were the two swapped?)`,
      };
    }
  }
}

const squeezed = (name: string) => name.toLowerCase().replace(/[^a-z0-9]/g, '');

/**
 * How close event name `a` is to `b` when one is most likely the other misspelt ('a letter away from'): the same but
 * for case or spacing, or one word a typo away (Faild, Failed); two short words (Up, In) are two events. Undefined when
 * they are not that close.
 */
export function nameSlip(a: string, b: string): string | undefined {
  if (a === b) return undefined;
  if (a.toLowerCase() === b.toLowerCase()) return 'the same but for case as';
  if (squeezed(a) === squeezed(b)) return 'the same but for spaces or punctuation as';
  const [x, y] = [a.toLowerCase().split(/\s+/), b.toLowerCase().split(/\s+/)];
  if (x.length !== y.length) return undefined;
  const differing = x.flatMap((w, k) => (w === y[k] ? [] : [[w, y[k]!] as const]));
  if (differing.length !== 1) return undefined;
  const [u, v] = differing[0]!;
  if (Math.min(u.length, v.length) < 4) return undefined;
  const distance = editDistance(u, v);
  if (distance > (Math.max(u.length, v.length) >= 8 ? 2 : 1)) return undefined;
  return distance === 1 ? 'a letter away from' : 'two letters away from';
}

/** Every event name a selector list reads, in order. */
const selectorsOf = (formula: string): EventSelector[] => formulaTerms(parseFormula(formula)).flatMap(termSelectors);

/**
 * An event name in a formula that is a slip of another name the config reads ("Payment Faild" beside "Payment Failed"):
 * names are matched exactly, so the two count two streams, one of which never arrives. The name read less often is
 * taken for the slip (on a tie, the one read later); said once, at the first formula that reads it. An expected event
 * is warned about on its own (expectedEventSlips).
 */
function* formulaEventSlips(config: NightshiftConfig): Generator<ConfigWarning> {
  const uses = new Map<string, { count: number; order: number; kpi?: number }>();
  const use = (name: string, kpi?: number) => {
    const known = uses.get(name);
    if (known) {
      known.count++;
      if (known.kpi === undefined && kpi !== undefined) known.kpi = kpi;
    } else uses.set(name, { count: 1, order: uses.size, ...(kpi === undefined ? {} : { kpi }) });
  };
  config.kpis.forEach((k, i) => {
    for (const s of selectorsOf(k.formula)) if (s.event !== null) use(s.event, i);
  });
  for (const e of config.alerts.expectedEvents) use(e.event);
  const names = [...uses.keys()];
  const warned = new Set<string>();
  for (const [i, a] of names.entries()) {
    for (const b of names.slice(i + 1)) {
      const how = nameSlip(a, b);
      if (how === undefined) continue;
      const [ua, ub] = [uses.get(a)!, uses.get(b)!];
      const aSlips = ua.count < ub.count || (ua.count === ub.count && ua.order > ub.order);
      const [slip, meant] = aSlips ? [a, b] : [b, a];
      const at = uses.get(slip)!.kpi;
      if (at === undefined || warned.has(slip)) continue;
      warned.add(slip);
      const times = uses.get(meant)!.count;
      yield {
        path: ['kpis', at, 'formula'],
        message: `reads "${slip}", ${how} "${meant}", which the config reads ${times === 1 ? 'once' : `${times} times`}: did you mean "${meant}"? (event names are matched exactly, case included: these count two different events)`,
      };
    }
  }
}

/**
 * A property a formula reads on an event that is a slip of another property the config reads on the same event
 * (`sum("Order Completed".revnue)` beside `sum("Order Completed".revenue)`): no event has it, so its sum reads as no
 * data. The property read less often is taken for the slip (on a tie, the one read later); said once per event.
 */
function* formulaPropertySlips(config: NightshiftConfig): Generator<ConfigWarning> {
  const byEvent = new Map<string, Map<string, { count: number; order: number; kpi: number }>>();
  config.kpis.forEach((k, i) => {
    for (const term of formulaTerms(parseFormula(k.formula))) {
      for (const s of termSelectors(term)) {
        if (s.event === null) continue;
        const paths = s.where ? conditionPaths(s.where) : [];
        if (term.kind === 'aggregate' && term.field?.in === 'properties') paths.push(term.field.path.join('.'));
        const uses = byEvent.get(s.event) ?? new Map<string, { count: number; order: number; kpi: number }>();
        byEvent.set(s.event, uses);
        for (const path of new Set(paths)) {
          const known = uses.get(path);
          if (known) known.count++;
          else uses.set(path, { count: 1, order: uses.size, kpi: i });
        }
      }
    }
  });
  for (const [event, uses] of byEvent) {
    const names = [...uses.keys()];
    const warned = new Set<string>();
    for (const [i, a] of names.entries()) {
      for (const b of names.slice(i + 1)) {
        const how = propertySlip(a, b);
        if (how === undefined) continue;
        const [ua, ub] = [uses.get(a)!, uses.get(b)!];
        const aSlips = ua.count < ub.count || (ua.count === ub.count && ua.order > ub.order);
        const [slip, meant] = aSlips ? [a, b] : [b, a];
        if (warned.has(slip)) continue;
        warned.add(slip);
        const times = uses.get(meant)!.count;
        yield {
          path: ['kpis', uses.get(slip)!.kpi, 'formula'],
          message: `reads "${event}".${slip}, ${how} ${meant}, which the config reads on "${event}" ${times === 1 ? 'once' : `${times} times`}: did you mean ${meant}? (property names are matched exactly, case included: these read two different properties)`,
        };
      }
    }
  }
}

/**
 * How close property `a` is to `b` when one is most likely the other misspelt, as `nameSlip` says it; but a config
 * reads properties that differ only in a trailing plural s (price, prices) or only in digits (step_1, step_2) on
 * purpose: those are two properties, not a slip.
 */
export function propertySlip(a: string, b: string): string | undefined {
  if (a === `${b}s` || b === `${a}s`) return undefined;
  if (a.replace(/[0-9]/g, '') === b.replace(/[0-9]/g, '')) return undefined;
  return nameSlip(a, b);
}

/** The property paths a where condition compares, dotted. */
function conditionPaths(c: Condition): string[] {
  if (c.kind === 'compare') return c.field.in === 'properties' ? [c.field.path.join('.')] : [];
  if (c.kind === 'not') return conditionPaths(c.operand);
  return [...conditionPaths(c.left), ...conditionPaths(c.right)];
}

/**
 * jobs.checksAt in the hour the clocks skip, with no check configured: nothing is skipped yet (it is refused once
 * checks are added, schema.ts), so it is said now.
 */
function* idleChecksTime(raw: unknown, config: NightshiftConfig): Generator<ConfigWarning> {
  const written = at(raw, 'jobs', 'checksAt');
  if (typeof written !== 'string' || hasChecks(raw)) return;
  const day = skippedLocalTime(config.jobs.checksAt, config.timeZone, DST_CHECK_DAYS);
  if (day === undefined) return;
  yield {
    path: ['jobs', 'checksAt'],
    message: `${config.jobs.checksAt} does not exist in ${config.timeZone} on ${day} (the clocks go forward): with no checks configured nothing is skipped, but once checks are added EventBridge Scheduler would skip them that night, and this time is refused; choose a time outside the hour the clocks skip`,
  };
}

/**
 * Plain (unquoted) text that a ` #` cut short: YAML reads the rest of the line as a comment and drops it, so a
 * runbook step "Roll back; post in #incidents." reaches the mail as "Roll back; post in". Said where the `#` starts a
 * word (a channel, an issue number), as a comment written on purpose (`# why`) does not.
 */
export function commentCuts(doc: Document, text: string): ConfigWarning[] {
  const out: ConfigWarning[] = [];
  const walk = (node: Node | null | undefined, path: (string | number)[]): void => {
    if (isMap(node)) {
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? pair.key.value : pair.key;
        walk(pair.value as Node | null, [...path, String(key)]);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => {
        walk(item as Node | null, [...path, i]);
      });
    } else if (isScalar(node) && node.type === 'PLAIN' && typeof node.value === 'string' && node.range) {
      const end = node.range[1];
      const lineEnd = text.indexOf('\n', end);
      const rest = text.slice(end, lineEnd < 0 ? text.length : lineEnd).replace(/\r$/, '');
      const cut = /^[ \t]+(#[^\s#].*)$/.exec(rest);
      if (!cut) return;
      const line = text.slice(0, end).split('\n').length;
      const whole = `${node.value} ${cut[1]!.trimEnd()}`;
      out.push({
        path,
        line,
        message: `line ${line} reads ${JSON.stringify(node.value)}: YAML takes "${cut[1]!.trimEnd()}" for a comment and drops it; to keep it, quote the whole text: ${JSON.stringify(whole)}`,
      });
    }
  };
  walk(doc.contents as Node | null, []);
  return out;
}
