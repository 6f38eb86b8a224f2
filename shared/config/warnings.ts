// Values a config may hold that are almost certainly slips: the config loads, and `validate` and every command say
// what and where. Read from the file as written, not as parsed: `pct: 0.2` and `pct: 0.2%` parse alike, and only the
// first is a slip.

/** A warning at a path of the file (`['alerts', 'rules', 0, 'all', 1, 'change', 'pct']`). */
export interface ConfigWarning {
  path: (string | number)[];
  message: string;
}

const isMapping = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);
const at = (value: unknown, ...keys: string[]): unknown =>
  keys.reduce<unknown>((v, k) => (isMapping(v) && Object.hasOwn(v, k) ? v[k] : undefined), value);
const list = (value: unknown, ...keys: string[]): readonly unknown[] => {
  const v = at(value, ...keys);
  return Array.isArray(v) ? v : [];
};

/** A number as people write it: 0.2 * 100 is 20, not 20.000000000000004. */
export const plain = (n: number): string => String(+n.toPrecision(12));

/** The warnings of a config file that validated (`raw` is the file's YAML as read, before the schema). */
export function configWarnings(raw: unknown): ConfigWarning[] {
  return [...changePercents(raw)];
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
