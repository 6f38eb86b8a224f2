// Values a config may hold that are almost certainly slips: the config loads, and `validate` and every command say
// what and where. Read from the file as written, not as parsed: `pct: 0.2` and `pct: 0.2%` parse alike, and only the
// first is a slip.
import { editDistance, formulaReads, nearestName, parseFormula, shareScale } from '#shared/formula/formula.ts';
import { at, list, type NightshiftConfig } from './schema.ts';

/** A warning at a path of the file (`['alerts', 'rules', 0, 'all', 1, 'change', 'pct']`). */
export interface ConfigWarning {
  path: (string | number)[];
  message: string;
}

/** A number as people write it: 0.2 * 100 is 20, not 20.000000000000004. */
export const plain = (n: number): string => String(+n.toPrecision(12));

/** The warnings of a config file that validated: `raw` is the file's YAML as read, `config` what the schema made of it. */
export function configWarnings(raw: unknown, config: NightshiftConfig): ConfigWarning[] {
  return [...changePercents(raw), ...unitMixUps(raw, config), ...expectedEventSlips(config)];
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
