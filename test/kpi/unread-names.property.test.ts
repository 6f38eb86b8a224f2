// Over generated days of events and formula names (real, a letter off a real one, unrelated): a KPI whose formula names
// an event never ingested is never scored met, outstanding or missed once the data says it is a slip (a look-alike
// arrived, or 7 days had events); a name ingested on any day is always judged, its quiet days' 0 included.
import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { validateConfig } from '#shared/config/load.ts';
import type { NightshiftConfig } from '#shared/config/schema.ts';
import { ingestMessages } from '#shared/events/ingest.ts';
import { parseFormula } from '#shared/formula/formula.ts';
import { readKpiValues } from '#shared/kpi/kpi-store.ts';
import { EVENT_NOTE_MIN_DAYS } from '#shared/kpi/property-reads.ts';
import { rollupRange } from '#shared/kpi/rollup.ts';
import { NameHistory } from '#shared/kpi/unread-names.ts';
import { addDays } from '#shared/time/calendar.ts';
import { exampleConfig } from '../support/config.ts';
import { freshStore } from '../support/dynamo.ts';

const POOL = ['Order Completed', 'Refund Issued', 'Page Viewed', 'Signed Up'];
const UNRELATED = 'Zebra Crossed';

/** A name a formula reads: one of the pool, the pool's name with one letter dropped, or an unrelated one. */
type Named =
  | { kind: 'real'; name: string }
  | { kind: 'typo'; name: string; of: string }
  | { kind: 'unrelated'; name: string };

const named: fc.Arbitrary<Named> = fc.oneof(
  fc.constantFrom(...POOL).map((name): Named => ({ kind: 'real', name })),
  fc.tuple(fc.constantFrom(...POOL), fc.nat()).map(([of, i]): Named => {
    // A letter dropped from within a word (never the space), so it reads as a slip of that name.
    const letters = [...of].flatMap((c, k) => (c === ' ' ? [] : [k]));
    const at = letters[i % letters.length]!;
    return { kind: 'typo', name: of.slice(0, at) + of.slice(at + 1), of };
  }),
  fc.constant<Named>({ kind: 'unrelated', name: UNRELATED }),
);

/** Days of events: each day the pool names it had, with how many (an empty list: a day without events). */
const days = (max: number) =>
  fc.array(fc.array(fc.tuple(fc.constantFrom(...POOL), fc.integer({ min: 1, max: 3 })), { maxLength: 4 }), {
    minLength: 1,
    maxLength: max,
  });

/** Whether the name is a slip the days read say so: never ingested, and a look-alike arrived or 7 days had events. */
function isSlip(n: Named, seen: ReadonlySet<string>, daysWithEvents: number): boolean {
  if (seen.has(n.name)) return false;
  if (n.kind === 'typo' && seen.has(n.of)) return true;
  return seen.size > 0 && daysWithEvents >= EVENT_NOTE_MIN_DAYS;
}

const seenOf = (ds: ReadonlyArray<ReadonlyArray<readonly [string, number]>>) =>
  new Set(ds.flatMap((d) => d.map(([name]) => name)));

describe('names a formula reads that no counted day had', () => {
  test.prop([days(14), named], { numRuns: 300 })(
    'a name ingested on any day is never unread; one never ingested is unread exactly when the data says it is a slip',
    (ds, n) => {
      const figures = ds.map((d, i) => {
        const eventNames = Object.fromEntries(d.map(([name, k]) => [name, k]));
        return {
          day: addDays('2026-11-01', i),
          events: d.reduce((sum, [, k]) => sum + k, 0),
          eventNames,
          properties: [],
        };
      });
      const history = new NameHistory(figures);
      const seen = seenOf(ds);
      const withEvents = ds.filter((d) => d.length > 0).length;

      const unread = history.unread(parseFormula(`count("${n.name}") / count(any)`));

      // A typo of a name never ingested may still be a letter from another pool name: then it is a slip all the same.
      if (seen.has(n.name)) expect(unread).toEqual([]);
      else if (isSlip(n, seen, withEvents)) expect(unread.map((u) => u.event)).toEqual([n.name]);
      else if (n.kind === 'unrelated') expect(unread).toEqual([]);
    },
  );

  test.prop([days(9), named], { numRuns: 8 })(
    'through ingest and rollup: a never-ingested slip is never scored met or missed, a real name always is',
    async (ds, n) => {
      const { store } = await freshStore('unread-prop');
      const config = configReading(n.name);
      const first = '2026-11-01';
      const last = addDays(first, ds.length - 1);
      const now = () => Date.parse(`${addDays(last, 1)}T09:00:00+08:00`);
      const messages = ds.flatMap((d, i) =>
        d.flatMap(([name, k], j) =>
          Array.from({ length: k }, (_, m) => {
            const id = `d${i}-${j}-${m}`;
            const body = {
              messageId: id,
              event: name,
              userId: `u${m}`,
              timestamp: `${addDays(first, i)}T10:00:00+08:00`,
            };
            return { id, body: JSON.stringify(body) };
          }),
        ),
      );
      if (messages.length) await ingestMessages(messages, { store, config, now });

      await rollupRange({ from: first, to: last }, { store, config, now });

      const values = await readKpiValues(store, 'watched', 'day', first, last);
      const seen = seenOf(ds);
      const withEvents = ds.filter((d) => d.length > 0).length;
      const judged = (s: string) => s === 'met' || s === 'outstanding' || s === 'missed';
      ds.forEach((d, i) => {
        const status = values[i]!.status;
        if (d.length === 0) return;
        if (seen.has(n.name)) expect(judged(status)).toBe(true);
        if (isSlip(n, seen, withEvents)) expect(judged(status)).toBe(false);
      });
    },
    120_000,
  );
});

function configReading(name: string): NightshiftConfig {
  return validateConfig(
    {
      ...(exampleConfig() as unknown as Record<string, unknown>),
      kpis: [
        { id: 'watched', name: 'Watched', formula: `count("${name}")`, target: { max: 5 }, granularities: ['day'] },
      ],
      alerts: {},
      responsePlans: [],
      reports: [],
      checks: {},
    },
    'test config',
  );
}
