// A report shows incidents as they stood when it was made, rebuilt from their stored transitions (DynamoDB Local):
// one resolved since is open on that day, one escalated since is not escalated yet, one opened after it is not there.
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { type IncidentSubject, type Observation, recordObservation } from '#shared/incidents/incidents.ts';
import { reportIncidents } from '#shared/reporting/report-incidents.ts';
import type { StateStore } from '#shared/store/store.ts';
import { addDays } from '#shared/time/calendar.ts';
import { exampleConfig } from '../support/config.ts';
import { freshStore } from '../support/dynamo.ts';

const config = exampleConfig(); // Asia/Shanghai

const floor: IncidentSubject = {
  type: 'rule',
  key: 'conversion_floor',
  kind: 'target_breach',
  kpi: 'conversion_rate',
  rule: 'conversion_floor',
  granularity: 'day',
  title: 'Conversion rate: alarm bounds',
  label: 'Conversion rate',
  severity: 'warning',
  openAfter: 1,
  resolveAfter: 1,
  cooldownDays: 0,
};

const judged = (period: string, magnitude: number): Observation => ({
  period,
  anomalous: magnitude > 0,
  persists: magnitude > 0,
  severity: 'warning',
  magnitude,
  summary:
    magnitude > 0
      ? `Conversion rate ${magnitude} below alarm floor on ${period}`
      : `Conversion rate normal on ${period}`,
});

/** Detection of each day from `from` on, with its magnitude (0: normal), all run at `at` (a history loaded at once). */
async function detect(store: StateStore, from: string, magnitudes: number[], at: (day: string) => string) {
  for (const [i, m] of magnitudes.entries()) {
    const day = addDays(from, i);
    await recordObservation(store, floor, judged(day, m), at(day));
  }
}

describe('report incidents as they stood when the report was made', () => {
  it('a history loaded in November: the 8 Oct report shows the incident of 7-16 Oct open, as it was that day', async () => {
    const { store } = await freshStore('incidents-then');
    // 6 Oct normal, 7 Oct below the floor (opens), worse on 9 Oct (escalates), normal on 16 Oct (resolves), below the
    // floor again from 28 Nov (reopens, open now).
    const october = [0, 0.2, 0.2, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0];
    await detect(store, '2026-10-06', october, () => '2026-11-30T06:41:00.000Z');
    await detect(store, '2026-10-17', Array(42).fill(0), () => '2026-11-30T06:41:00.000Z');
    await detect(store, '2026-11-28', [0.3, 0.3], () => '2026-11-30T06:41:00.000Z');
    const incidents = reportIncidents(store, config);

    const eighth = await incidents('2026-10-08', Date.parse('2026-10-09T05:00:00+08:00'));

    expect(eighth).toEqual([
      expect.objectContaining({
        state: 'open',
        severity: 'warning',
        firstPeriod: '2026-10-07',
        openedPeriod: '2026-10-07',
        summary: 'Conversion rate 0.2 below alarm floor on 2026-10-07',
      }),
    ]);
    expect(eighth[0]).not.toHaveProperty('resolution');
    expect(await incidents('2026-10-10')).toEqual([
      expect.objectContaining({ state: 'escalated', severity: 'critical' }),
    ]);
    expect(await incidents('2026-10-16')).toEqual([
      expect.objectContaining({
        state: 'resolved',
        resolvedPeriod: '2026-10-16',
        resolution: { at: '2026-11-30T06:41:00.000Z', summary: 'Conversion rate normal on 2026-10-16' },
        summary: 'Conversion rate 0.5 below alarm floor on 2026-10-09',
      }),
    ]);
    // Before it opened, and between its resolution and the reopening: nothing.
    expect(await incidents('2026-10-06')).toEqual([]);
    expect(await incidents('2026-11-20')).toEqual([]);
    expect(await incidents('2026-11-29')).toEqual([
      expect.objectContaining({ state: 'open', openedPeriod: '2026-11-28' }),
    ]);
  });

  // Any history of normal and unusual days: each day's report re-made at the end reads as it read the morning after.
  const days = fc.array(fc.constantFrom(0, 0, 0.2, 0.4, 0.9), { minLength: 1, maxLength: 12 });
  test.prop([days, fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 })], {
    numRuns: 25,
    examples: [
      [[0.4, 0.9, 0, 0], 1, 1],
      [[0.4, 0.2, 0.4, 0, 0], 2, 1],
      [[0.9, 0.2, 0.4, 0, 0], 2, 1],
    ],
  })(
    'a report re-made later lists the incidents it listed the morning after its day',
    async (magnitudes, openAfter, resolveAfter) => {
      const { store } = await freshStore('incidents-then-prop');
      const subject = { ...floor, openAfter, resolveAfter };
      const incidents = reportIncidents(store, config);
      const morningAfter = (day: string) => Date.parse(`${addDays(day, 1)}T05:00:00+08:00`);
      // What matters of a listed incident; an open one's summary is its latest judgement, which the history keeps
      // only when it was a transition.
      const listed = async (day: string) =>
        (await incidents(day, morningAfter(day))).map(({ summary: _summary, ...i }) => i);
      const then: Array<Awaited<ReturnType<typeof listed>>> = [];
      for (const [i, m] of magnitudes.entries()) {
        const day = addDays('2026-10-01', i);
        await recordObservation(store, subject, judged(day, m), `${addDays(day, 1)}T00:40:00+08:00`);
        then.push(await listed(day));
      }

      for (const [i, was] of then.entries()) {
        const day = addDays('2026-10-01', i);
        const later = await listed(day);
        expect(later).toEqual(was);
      }
    },
  );
});
