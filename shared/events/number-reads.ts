// Which event properties the config's KPI formulas add up (sum, avg, min, max), for ingest to refuse an event that
// holds one as text ("1,250.00", "$99.00"): stored, it would count in a ratio's denominator and not in its numerator.
import type { NightshiftConfig } from '#shared/config/schema.ts';
import { formatTerm, formulaTerms, parseFormula } from '#shared/formula/formula.ts';
import type { NumberRead, NumberReads } from './envelope.ts';

const NUMERIC = new Set(['sum', 'avg', 'min', 'max']);
const cache = new WeakMap<object, NumberReads>();

/** The properties the KPI formulas add up, by event name (`null`: a term over any event); computed once per config. */
export function numberReadsOf(config: Pick<NightshiftConfig, 'kpis'>): NumberReads {
  const kpis = config.kpis;
  const cached = cache.get(kpis);
  if (cached) return cached;
  const byTerm = new Map<string, { event: string | null; read: NumberRead & { kpis: string[] } }>();
  for (const kpi of kpis) {
    for (const term of formulaTerms(parseFormula(kpi.formula))) {
      if (term.kind !== 'aggregate' || !NUMERIC.has(term.fn) || term.field?.in !== 'properties') continue;
      const text = formatTerm(term);
      const known = byTerm.get(text);
      if (known) {
        if (!known.read.kpis.includes(kpi.id)) known.read.kpis.push(kpi.id);
        continue;
      }
      byTerm.set(text, { event: term.events.event, read: { path: term.field.path, term: text, kpis: [kpi.id] } });
    }
  }
  const reads = new Map<string | null, NumberRead[]>();
  for (const { event, read } of byTerm.values()) {
    const list = reads.get(event);
    // One term per property and event is enough to name the problem: the first wins.
    if (list?.some((r) => r.path.join('.') === read.path.join('.'))) continue;
    if (list) list.push(read);
    else reads.set(event, [read]);
  }
  cache.set(kpis, reads);
  return reads;
}
