// Who sees what in a report (DESIGN.md, "Who may see what"), from events ingested and rolled up for real on DynamoDB
// Local, incidents recorded as detection, the watchdog and the checks record them, and the sources the sender uses:
// a specialist sees their department's slice of a KPI split by department (or that there is no data for it), never
// the company-wide value, and only the incidents, checks and pipeline that concern their department or are routed to
// them; analysts and administrators see everything.
import { beforeAll, describe, expect, it } from 'vitest';
import { saveCheckResults } from '#shared/checks/history.ts';
import { checkSubject } from '#shared/checks/incidents.ts';
import type { NightshiftConfig, Person } from '#shared/config/schema.ts';
import { mailSources } from '#shared/delivery/sources.ts';
import { ruleSubject } from '#shared/detection/detect.ts';
import { renderReport } from '#shared/email/render.ts';
import { ingestMessages } from '#shared/events/ingest.ts';
import { type IncidentSubject, type Observation, recordObservation } from '#shared/incidents/incidents.ts';
import { periodsForDays, rollupPeriods } from '#shared/kpi/rollup.ts';
import { loadReportModel } from '#shared/reporting/load.ts';
import type { ReportModel } from '#shared/reporting/model.ts';
import type { StateStore } from '#shared/store/store.ts';
import { runStreams } from '#shared/watchdog/schedule.ts';
import { jobSubject } from '#shared/watchdog/watchdog.ts';
import { exampleConfig } from '../support/config.ts';
import { freshStore } from '../support/dynamo.ts';

const at = (date: string, time: string) => Date.parse(`${date}T${time}+08:00`);
const WITH_MARKET = '2026-11-21';
const WITHOUT_MARKET = '2026-11-22';

/**
 * 21 Nov: 10 market and 30 content visitors, one market order (conversion: market 10%, company 2.5%), spend 20 by
 * market and 80 by content (ROI: market 2, company 0.4). 22 Nov: content traffic only (company conversion 5%).
 */
function events(): string[] {
  const out: object[] = [];
  const event = (day: string, i: number, name: string, userId: string, properties: object) =>
    out.push({
      messageId: `${day}-${name}-${userId}-${i}`,
      event: name,
      userId,
      // From 00:15: the data covers its first day whole (a first day whose data begins later is partial, not scored).
      timestamp: `${day}T${String(i % 12).padStart(2, '0')}:15:00+08:00`,
      properties,
    });
  for (let i = 0; i < 10; i++) event(WITH_MARKET, i, 'Page Viewed', `mk_${i}`, { department: 'market' });
  for (let i = 0; i < 30; i++) event(WITH_MARKET, i, 'Page Viewed', `ct_${i}`, { department: 'content' });
  event(WITH_MARKET, 0, 'Order Completed', 'mk_0', { department: 'market', revenue: 100, profit: 40 });
  event(WITH_MARKET, 0, 'Marketing Spend', 'ops', { department: 'market', amount: 20 });
  event(WITH_MARKET, 1, 'Marketing Spend', 'ops', { department: 'content', amount: 80 });
  for (let i = 0; i < 20; i++) event(WITHOUT_MARKET, i, 'Page Viewed', `ct_${i}`, { department: 'content' });
  event(WITHOUT_MARKET, 0, 'Order Completed', 'ct_0', { department: 'content', revenue: 50, profit: 10 });
  event(WITHOUT_MARKET, 0, 'Marketing Spend', 'ops', { department: 'content', amount: 50 });
  return out.map((e) => JSON.stringify(e));
}

const opened = (period: string, summary: string): Observation => ({
  period,
  anomalous: true,
  persists: true,
  severity: 'critical',
  magnitude: 0.5,
  summary,
});

/** The night after 22 Nov: KPI alerts, the watchdog's missed rollup, a failed reconciliation, as each module records them. */
async function incidentsOfTheNight(store: StateStore, config: NightshiftConfig): Promise<void> {
  const rule = (id: string) => config.alerts.rules.find((r) => r.id === id)!;
  const record = (subject: IncidentSubject, obs: Observation, time: string) =>
    recordObservation(store, subject, obs, new Date(at('2026-11-23', time)).toISOString());
  await record(
    ruleSubject(rule('conversion_floor'), config),
    opened(WITHOUT_MARKET, 'company conversion low'),
    '01:00',
  );
  await record(
    ruleSubject({ ...rule('conversion_floor'), id: 'conversion_floor_market', scope: 'market' }, config),
    opened(WITHOUT_MARKET, 'market conversion low'),
    '01:00',
  );
  await record(ruleSubject(rule('retention_floor'), config), opened(WITHOUT_MARKET, 'retention low'), '01:00');
  const [rollup] = runStreams(config, ['rollup-kpis']);
  await record(jobSubject(rollup!, 'schedule', 'critical'), opened('2026-11-23T01', 'rollup did not run'), '01:45');
  const [failed] = await saveCheckResults(
    store,
    [
      {
        checkId: 'orders_payments',
        kind: 'reconciliation',
        status: 'fail',
        summary: '1 key with different amounts',
        figures: { matched: 9, mismatched: 1 },
        durationMs: 10,
        problems: ['1 key with different amounts'],
      },
      {
        checkId: 'orders_pitr',
        kind: 'dynamodb_pitr',
        status: 'pass',
        summary: 'PITR on',
        figures: {},
        durationMs: 1,
        problems: [],
      },
    ],
    { at: at('2026-11-23', '02:00'), timeZone: config.timeZone, plans: { orders_payments: 'outage' } },
  );
  await record(checkSubject(failed!, config), opened('2026-11-23T02:00', 'orders_payments: 1 key differs'), '02:00');
}

let store: StateStore;
const config = exampleConfig();
const daily = config.reports.find((r) => r.id === 'daily')!;
const person = (id: string, c: NightshiftConfig = config): Person => c.people.find((p) => p.id === id)!;

async function reportFor(id: string, day: string, c: NightshiftConfig = config): Promise<ReportModel> {
  const sources = mailSources(store, c).reportSources;
  return loadReportModel(daily, day, person(id, c), {
    store,
    config: c,
    now: () => at('2026-11-23', '05:00'),
    ...sources,
  });
}

const kpi = (model: ReportModel, id: string) => model.kpis.find((k) => k.id === id);
const titles = (model: ReportModel) => model.incidents.map((i) => i.summary).sort();

beforeAll(async () => {
  ({ store } = await freshStore('role-scope'));
  const sentAt = at(WITHOUT_MARKET, '23:30');
  await ingestMessages(
    events().map((body, i) => ({ id: `line-${i}`, body, sentAt })),
    { store, config, now: () => sentAt },
  );
  await rollupPeriods(periodsForDays([WITH_MARKET, WITHOUT_MARKET], config), WITHOUT_MARKET, {
    store,
    config,
    now: () => at('2026-11-23', '00:30'),
  });
  await incidentsOfTheNight(store, config);
}, 60_000);

describe('an operations specialist', () => {
  it("sees their department's slice of a KPI split by department, not the company-wide value", async () => {
    const model = await reportFor('market_ops', WITH_MARKET);

    expect(model.kpis.map((k) => k.id)).toEqual(['conversion_rate', 'roi']);
    expect(kpi(model, 'conversion_rate')).toMatchObject({ value: 0.1, department: 'market', status: 'outstanding' });
    expect(kpi(model, 'roi')).toMatchObject({ value: 2, department: 'market' });
    expect(renderReport(model).text).toContain('* Conversion rate (market): 10.00%');
  });

  it('sees "no data for your department" on a day without a slice, and no company-wide figure in any period', async () => {
    const company = await reportFor('ops_director', WITHOUT_MARKET);
    const model = await reportFor('market_ops', WITHOUT_MARKET);

    expect(kpi(company, 'conversion_rate')?.value).toBe(0.05);
    expect(kpi(model, 'conversion_rate')).toMatchObject({
      value: null,
      status: 'no_value',
      department: 'market',
      previous: 0.1,
    });
    const history = kpi(model, 'conversion_rate')!.history;
    expect(history.at(-1)).toEqual({ period: WITHOUT_MARKET, value: null });
    expect(history.at(-2)).toEqual({ period: WITH_MARKET, value: 0.1 });
    expect(history.slice(0, -2).every((h) => h.value === null)).toBe(true);
    expect(kpi(model, 'roi')).toMatchObject({ value: null, status: 'no_value', previous: 2 });
    const { text, html } = renderReport(model);
    expect(text).toContain('* Conversion rate (market): — — No data for your department');
    expect(html).toContain('No data for your department');
    // The company's 5.00% conversion and 0.40 / 0.20 ROI appear nowhere in the mail.
    for (const figure of ['5.00%', '2.50%', '0.40', '0.20']) expect(text).not.toContain(figure);
  });

  it("sees only the incidents of their department's slice or routed to them, and no checks or pipeline", async () => {
    const model = await reportFor('market_ops', WITHOUT_MARKET);

    expect(titles(model)).toEqual(['market conversion low']);
    expect(model.sections).toEqual(['scorecard', 'kpis', 'trends', 'incidents']);
    expect(model.checks).toEqual([]);
    expect(model.pipeline.jobs).toEqual([]);
    const { text, subject } = renderReport(model);
    expect(text).not.toContain('BACKUP AND DATA CHECKS');
    expect(text).not.toContain('PIPELINE HEALTH');
    expect(text).not.toContain('orders_payments');
    expect(text).not.toContain('rollup did not run');
    expect(subject).toMatch(/1 open incident/);
    expect(subject).not.toMatch(/job|check/);
  });

  it('sees the incidents of their own KPIs and those their response plan routes to them', async () => {
    // Li Na (user) is the first responder of the satisfaction plan, which covers conversion rate and ROI too.
    const model = await reportFor('user_ops_lead', WITHOUT_MARKET);

    expect(model.kpis.every((k) => k.department === undefined)).toBe(true);
    expect(model.kpis.map((k) => k.id)).toEqual(['new_users', 'dau', 'next_day_retention', 'nps']);
    expect(titles(model)).toEqual(['company conversion low', 'market conversion low', 'retention low']);
    expect(model.checks).toEqual([]);
  });

  it('with nothing concerning their department, is told so rather than that nothing happened', async () => {
    const model = await reportFor('content_ops', WITHOUT_MARKET);

    expect(model.incidents).toEqual([]);
    expect(renderReport(model).text).toContain('No incidents for your department or routed to you this period.');
  });

  it('routed to the pipeline and checks by a response plan, sees them', async () => {
    const routed = structuredClone(config);
    routed.responsePlans.find((p) => p.id === 'outage')!.alsoTell.push('market_ops');

    const model = await reportFor('market_ops', WITHOUT_MARKET, routed);

    expect(titles(model)).toEqual(['market conversion low', 'orders_payments: 1 key differs', 'rollup did not run']);
    expect(model.sections).toContain('checks');
    expect(model.sections).toContain('pipeline');
    expect(model.checks.map((c) => c.id).sort()).toEqual(['orders_payments', 'orders_pitr']);
    expect(model.pipeline.jobs.map((j) => j.job)).toContain('rollup-kpis');
    // Still only the market slice of the KPIs.
    expect(kpi(model, 'conversion_rate')).toMatchObject({ value: null, department: 'market' });
  });
});

describe('analysts and administrators', () => {
  for (const id of ['data_analyst', 'ops_director']) {
    it(`${id} sees every KPI at its company-wide value, every incident, the checks and the pipeline`, async () => {
      const model = await reportFor(id, WITH_MARKET);
      const night = await reportFor(id, WITHOUT_MARKET);

      expect(model.kpis.map((k) => k.id)).toEqual(config.kpis.map((k) => k.id));
      expect(kpi(model, 'conversion_rate')).toMatchObject({ value: 0.025 });
      expect(kpi(model, 'conversion_rate')?.department).toBeUndefined();
      expect(kpi(model, 'roi')?.value).toBeCloseTo(0.4);
      expect(titles(night)).toEqual([
        'company conversion low',
        'market conversion low',
        'orders_payments: 1 key differs',
        'retention low',
        'rollup did not run',
      ]);
      expect(night.checks.map((c) => c.id).sort()).toEqual(['orders_payments', 'orders_pitr']);
      expect(night.sections).toEqual(daily.sections);
      expect(night.pipeline).toMatchObject({ stored: 20 + 1 + 1 });
      expect(night.incidents.every((i) => !('audience' in i))).toBe(true);
    });
  }
});
