// A KPI whose formula names an event the data never had (a slip) is no data with the reason: the alerts about that
// missing value say why, so the person told is pointed at the config, not left with "has no value". A new user's
// trial got "Urgent support tickets has no value for 2026-04-20" every day for 224 days, from a misspelt event name.
// On the test run's DynamoDB Local.
import { beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '#shared/config/load.ts';
import type { NightshiftConfig } from '#shared/config/schema.ts';
import { detectAnomalies } from '#shared/detection/detect.ts';
import { ingestMessages } from '#shared/events/ingest.ts';
import { rollupRange } from '#shared/kpi/rollup.ts';
import type { StateStore } from '#shared/store/store.ts';
import { dateRange } from '#shared/time/calendar.ts';
import { exampleConfig } from '../support/config.ts';
import { freshStore } from '../support/dynamo.ts';
import { memoryQueue } from './support.ts';

const FIRST = '2026-11-10';
const LAST = '2026-11-19';
const NOW = () => Date.parse('2026-11-20T09:00:00+08:00');
const REASON = 'no "Support Ticket Opend" event on any of the 10 days counted; did you mean "Support Ticket Opened"?';

function saasConfig(): NightshiftConfig {
  const base = exampleConfig();
  const kpi = (id: string, formula: string) => ({ id, name: id, formula, granularities: ['day'] });
  return validateConfig(
    {
      ...(base as unknown as Record<string, unknown>),
      kpis: [
        kpi('logins', 'count("Login")'),
        kpi('urgent_tickets', 'count("Support Ticket Opend" where priority == "urgent")'),
        kpi('tickets', 'count("Support Ticket Opend")'),
      ],
      alerts: {
        rules: [
          // Its own `missing` condition: the rule's incident says why.
          { id: 'urgent_missing', kpi: 'urgent_tickets', all: [{ missing: true }] },
          // No `missing` condition: the KPI's missing-data incident says why.
          { id: 'tickets_up', kpi: 'tickets', all: [{ deviation: { direction: 'up' } }] },
        ],
      },
      responsePlans: [],
      reports: [],
      checks: {},
    },
    'test config',
  );
}

describe('a missing value whose formula names an event the data never had', () => {
  const config = saasConfig();
  let store: StateStore;
  beforeAll(async () => {
    ({ store } = await freshStore('unread-missing'));
    const events = dateRange(FIRST, LAST).flatMap((day) =>
      [0, 1, 2].flatMap((i) => [
        { messageId: `${day}-l${i}`, event: 'Login', userId: `u${i}`, timestamp: `${day}T10:0${i}:00+08:00` },
        {
          messageId: `${day}-t${i}`,
          event: 'Support Ticket Opened',
          userId: `u${i}`,
          timestamp: `${day}T11:0${i}:00+08:00`,
          properties: { priority: 'urgent' },
        },
      ]),
    );
    const r = await ingestMessages(
      events.map((e, i) => ({ id: `m${i}`, body: JSON.stringify(e) })),
      { store, config, now: NOW },
    );
    expect(r.failed).toEqual([]);
    await rollupRange({ from: FIRST, to: LAST }, { store, config, now: NOW });
  });

  it('is reported with the name it most likely meant, by a rule with a missing condition and by the KPI check', async () => {
    const summary = await detectAnomalies(LAST, { store, config, now: NOW, queue: memoryQueue() });

    const byIncident = new Map(summary.results.map((r) => [r.incident, r.summary]));
    expect(byIncident.get('rule:urgent_missing:*:missing_data')).toBe(
      `urgent_tickets has no value for ${LAST}: ${REASON}`,
    );
    expect(byIncident.get('kpi:tickets:*:missing_data')).toBe(`tickets has no value for 19 Nov: ${REASON}`);
  });
});
