// Least privilege on the two tables: for each function, the exact DynamoDB actions on the exact partitions its code
// uses, read from the store calls in shared/ (the module that owns each partition is named beside it). The policy test
// (test/infra/least-privilege.test.ts) runs the handlers against DynamoDB Local and checks every request they send
// against these grants, so a new key or action in the code fails there, not in AWS.
import { DIRTY_DAYS_PARTITION, LAST_STORED } from '#shared/events/keys.ts';
import { FEEDBACK_KEY_PREFIX } from '#shared/mailer/feedback.ts';
import type { TableName } from '#shared/store/store.ts';
import { WATCHDOG_PK } from '#shared/watchdog/queue-silence.ts';
import type { FunctionName } from './function-config.ts';
import type { KeyGrant } from './state-tables.ts';

/** Partition keys, as `dynamodb:LeadingKeys` patterns. */
export const KEYS = {
  // events table (shared/events/keys.ts)
  /** Packs of a day's events, one partition per local day and shard: EV#<day>#<shard>. */
  events: 'EV#*',
  /** Quarantined lines of a day: Q#<day>. */
  quarantine: 'Q#*',
  /** Days that received late events. */
  dirtyDays: DIRTY_DAYS_PARTITION,
  /** When events were last stored. */
  lastStored: LAST_STORED.pk,
  // state table
  /** A job's run records: RUN#<job> (shared/jobs/runs.ts). */
  runs: (job: string) => `RUN#${job}`,
  /** Every incident's tracker item (shared/incidents/incidents.ts). */
  incidents: 'INCIDENT',
  /** An incident's transitions: INCIDENT#<id>. */
  incidentHistory: 'INCIDENT#*',
  /** Learned arrival profiles of expected events (shared/detection/stream-profile.ts). */
  streamProfiles: 'STREAM',
  /** The watchdog's own marks (shared/watchdog). */
  watchdog: WATCHDOG_PK,
  /** A day's KPI input summary: DAYSUM#<day> (shared/kpi/summary-store.ts). */
  daySummaries: 'DAYSUM#*',
  /** KPI values: KPI#<granularity>#<kpi> (shared/kpi/kpi-store.ts). */
  kpiValues: 'KPI#*',
  /** Scorecards: SCORE#<granularity>. */
  scorecards: 'SCORE#*',
  /** Events stored and lines quarantined per day (shared/events/day-figures.ts). */
  dayFigures: 'FIGURES#day',
  /** A check's history: CHECK#<id> (shared/checks/history.ts). */
  checkHistory: 'CHECK#*',
  /** A night's check results: CHECKS#<date>. */
  nightChecks: 'CHECKS#*',
  /** The delivery ledger: DELIVERY#<delivery key> (shared/delivery/ledger.ts). */
  deliveries: 'DELIVERY#*',
  /** Bounces and complaints by day (shared/mailer/feedback.ts). */
  mailFeedback: `${FEEDBACK_KEY_PREFIX}*`,
} as const;

export type FunctionTableAccess = Partial<Record<TableName, readonly KeyGrant[]>>;

/** What each function may do on each table; a table not listed is not granted (nor its name given). */
export const TABLE_ACCESS: Record<FunctionName, FunctionTableAccess> = {
  'ingest-events': {
    // Packs, quarantined lines and late-day marks in batches; one overwrite of the last-stored mark per batch.
    events: [
      { actions: ['BatchWriteItem'], keys: [KEYS.events, KEYS.quarantine, KEYS.dirtyDays] },
      { actions: ['PutItem'], keys: [KEYS.lastStored] },
    ],
  },
  'http-ingest': {
    // Refused calls only: accepted ones go to the queue.
    events: [{ actions: ['BatchWriteItem'], keys: [KEYS.quarantine] }],
  },
  'rollup-kpis': {
    // Reads a day's events and quarantine counts, and the late-day marks it then clears.
    events: [
      { actions: ['Query'], keys: [KEYS.events, KEYS.quarantine, KEYS.dirtyDays] },
      { actions: ['DeleteItem'], keys: [KEYS.dirtyDays] },
    ],
    state: [
      { actions: ['GetItem', 'Query', 'PutItem', 'BatchWriteItem'], keys: [KEYS.daySummaries] },
      // The day figures of the weeks before: which days the business was closed (shared/events/closed-days.ts).
      { actions: ['Query'], keys: [KEYS.dayFigures] },
      { actions: ['BatchWriteItem'], keys: [KEYS.kpiValues, KEYS.scorecards, KEYS.dayFigures] },
      { actions: ['PutItem'], keys: [KEYS.runs('rollup-kpis')] },
    ],
  },
  'detect-anomalies': {
    // Today's events of the expected streams.
    events: [{ actions: ['Query'], keys: [KEYS.events] }],
    state: [
      // KPI values, and the day figures that tell when the data began (a partial first day is no usual value).
      { actions: ['Query'], keys: [KEYS.kpiValues, KEYS.dayFigures] },
      { actions: ['GetItem', 'PutItem'], keys: [KEYS.incidents, KEYS.streamProfiles] },
      { actions: ['PutItem'], keys: [KEYS.incidentHistory, KEYS.runs('detect-anomalies')] },
    ],
  },
  'check-backups': {
    state: [
      { actions: ['BatchWriteItem'], keys: [KEYS.checkHistory, KEYS.nightChecks] },
      { actions: ['GetItem', 'PutItem'], keys: [KEYS.incidents] },
      { actions: ['PutItem'], keys: [KEYS.incidentHistory, KEYS.runs('check-backups')] },
    ],
  },
  'plan-reports': {
    // Plans from the config alone: its run records are all it writes, and it reads nothing.
    state: [{ actions: ['PutItem'], keys: [KEYS.runs('plan-reports')] }],
  },
  watchdog: {
    events: [{ actions: ['GetItem'], keys: [KEYS.lastStored] }],
    state: [
      { actions: ['Query'], keys: [KEYS.runs('*'), KEYS.mailFeedback] },
      { actions: ['GetItem', 'PutItem'], keys: [KEYS.watchdog, KEYS.incidents] },
      { actions: ['PutItem'], keys: [KEYS.incidentHistory] },
    ],
  },
  'send-email': {
    state: [
      // The ledger: claim, release, mark sent.
      { actions: ['GetItem', 'PutItem'], keys: [KEYS.deliveries] },
      // What a report or an alert shows.
      {
        actions: ['Query'],
        keys: [
          KEYS.kpiValues,
          KEYS.scorecards,
          KEYS.dayFigures,
          KEYS.runs('*'),
          KEYS.incidents,
          KEYS.incidentHistory,
          KEYS.nightChecks,
          KEYS.mailFeedback,
        ],
      },
      { actions: ['GetItem'], keys: [KEYS.incidents] },
    ],
  },
  'email-feedback': {
    state: [{ actions: ['PutItem'], keys: [KEYS.mailFeedback] }],
  },
};
