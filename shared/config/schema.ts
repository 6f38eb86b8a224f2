// The one schema for nightshift.config.yaml. It is the documentation of the file: every field says what it means
// and what it defaults to, and `nightshift config-reference` prints the README's reference from it.
import { z } from 'zod';
import {
  FormulaError,
  MAX_FORMULA_DEPTH,
  MAX_FORMULA_LENGTH,
  parseFormula,
  shareScale,
} from '#shared/formula/formula.ts';
import { dateRange, isoWeekday, type LocalDate, localDateProblem, skippedLocalTime } from '#shared/time/calendar.ts';
import { timeZoneProblem } from './time-zone.ts';

const ID = /^[a-z][a-z0-9_]*$/;
const id = (what: string) =>
  z
    .string({ error: `expected ${what} as a string` })
    .regex(ID, `expected ${what}: lower-case letters, digits and _ , starting with a letter`);

/** '3%', '-2.5 %': a number followed by a percent sign. */
const PERCENT = /^-?\d+(\.\d+)?\s*%$/;
/**
 * How a number field reads '25%', for the reference (`nightshift config-reference`): `fraction` fields hold a share
 * (25% is 0.25), `points` fields are in percent already (25% is 25); a field without it takes numbers only.
 */
export type PercentReading = 'fraction' | 'points';
const reads = (percent: PercentReading) => ({ percent });

/** A number, or a percentage written as '3%' (becomes 0.03). */
const percentage = (v: unknown) => (typeof v === 'string' && PERCENT.test(v.trim()) ? Number.parseFloat(v) / 100 : v);
const NUMBER = 'expected a number (or a percentage such as 3%)';
const num = z.preprocess(percentage, z.number({ error: NUMBER }).meta(reads('fraction')));
const asPercent = (v: unknown) => (typeof v === 'number' ? `${+(v * 100).toFixed(4)}%` : String(v));
/** A scorecard weight, 0% to 100%: a negative weight makes the score nonsense even when the weights add up. */
const weight = z.preprocess(
  percentage,
  z
    .number({ error: NUMBER })
    .refine((v) => v >= 0 && v <= 1, {
      error: (issue) => `expected a weight from 0% to 100%, found ${asPercent(issue.input)}`,
    })
    .meta(reads('fraction')),
);

/**
 * A field that is in percent already (`pct`, `maxShrinkPct`): 25 and '25%' both mean 25 percent. Reading '25%' as
 * 0.25, as a share field does, would make a 25% threshold a quarter of one percent.
 */
const percentPoints = (schema: z.ZodNumber, fallback?: number) => {
  const points = schema.meta(reads('points'));
  return z.preprocess(
    (v) => (typeof v === 'string' && PERCENT.test(v.trim()) ? Number.parseFloat(v) : v),
    fallback === undefined ? points : points.default(fallback),
  );
};
const PERCENT_POINTS = 'expected a number of percent (25 or 25%)';

/** CloudFormation's rule for stack names; the stack is named after the config. */
const STACK_NAME = /^[A-Za-z][A-Za-z0-9-]{0,127}$/;
function stackNameProblem(name: string): string | undefined {
  if (STACK_NAME.test(name)) return undefined;
  const fixed = name
    .replace(/[^A-Za-z0-9-]+/g, '-')
    .replace(/^[^A-Za-z]+/, '')
    .slice(0, 128)
    .replace(/-+$/, '');
  const instead = fixed ? ` (e.g. '${fixed}')` : '';
  return `'${name}' is not a stack name CloudFormation accepts: use a letter, then letters, digits or hyphens, at most 128 characters${instead}`;
}

/** A formula that does not parse, with the formula and a caret under the column (a window of a long formula). */
function formulaProblem(formula: string): string | undefined {
  try {
    parseFormula(formula);
    return undefined;
  } catch (error) {
    if (!(error instanceof FormulaError)) throw error;
    // Tabs and line breaks (a YAML block scalar) would shift the caret; they read as spaces anyway.
    const flat = formula.replace(/[\t\n\r]/g, ' ');
    const WINDOW = 120;
    const from = flat.length <= WINDOW ? 0 : Math.max(0, Math.min(error.position - WINDOW / 2, flat.length - WINDOW));
    const to = Math.min(flat.length, from + WINDOW);
    const shown = `${from > 0 ? '…' : ''}${flat.slice(from, to)}${to < flat.length ? '…' : ''}`;
    const caret = error.position - from + (from > 0 ? 1 : 0);
    return `${error.message}\n      ${shown}\n      ${' '.repeat(caret)}^`;
  }
}

/** Adds the problem `check` finds, if any, at the field's path. */
const problem =
  <T>(check: (value: T) => string | undefined) =>
  (value: T, ctx: z.RefinementCtx) => {
    const message = check(value);
    if (message !== undefined) ctx.addIssue({ code: 'custom', message });
  };

/**
 * A config, or a part of one, as far as it parsed: zod's output where a field passed, what the file gave where it did not (a problem
 * already reported at its path), and anything at all when the file is not a mapping. Read only through `at`, `list`
 * and the type checks beside them, so a cross-check skips what it cannot read instead of guessing.
 */
type Parsed = unknown;

export const isMapping = (value: Parsed): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);
/** The value at `keys` inside `value`, or undefined where a step is not a mapping. */
export const at = (value: Parsed, ...keys: string[]): Parsed =>
  keys.reduce<Parsed>((v, k) => (isMapping(v) && Object.hasOwn(v, k) ? v[k] : undefined), value);
/** The list at `keys`, or no items where there is none. */
export const list = (value: Parsed, ...keys: string[]): readonly Parsed[] => {
  const v = at(value, ...keys);
  return Array.isArray(v) ? v : [];
};
const text = (value: Parsed): string | undefined => (typeof value === 'string' ? value : undefined);

/** DynamoDB's rule for table names, checked here so a typo fails `validate`, not the deploy or the night's check. */
const tableName = z
  .string({ error: 'expected a DynamoDB table name' })
  .regex(/^[A-Za-z0-9_.-]{3,255}$/, 'expected a DynamoDB table name: 3 to 255 letters, digits, _ . or -');

/**
 * The nightly jobs' default times: the rollup, then the checks (after the night's backups), both before a 05:00
 * report. No time zone's clocks skip a time in 04:00-21:59 (every spring-forward gap of 2026-2035 in Node's time zone
 * data lies between 22:00 and 04:00 local time: midnight in Cairo, 03:00 in Helsinki), so a default is never refused
 * as a skipped time, as a written one may be (test/config/job-times.property.test.ts checks every zone).
 */
export const JOB_TIMES = { rollupAt: '04:00', checksAt: '04:30' } as const;

const timeOfDay = z
  .string({ error: 'expected a time as "HH:MM"' })
  .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected a time as "HH:MM" (24-hour, local time)');

/** A local date as written in the config: YYYY-MM-DD, a day of the calendar. */
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const shown = (text: string) => (text.length > 40 ? `${text.slice(0, 40)}…` : text);
const localDate = z
  .string({ error: 'expected a date as "YYYY-MM-DD"' })
  .regex(DATE, { error: (issue) => `expected a date as "YYYY-MM-DD", found '${shown(String(issue.input))}'` })
  // A well-formed date that is not on the calendar (2026-02-30); a malformed one is reported by the regex alone.
  .superRefine(problem((d) => (DATE.test(d) ? localDateProblem(d) : undefined)));

/**
 * Known holidays: days whose KPIs do not follow the usual weekly pattern. Listed once each: a date given twice is
 * most likely a typo for another day, so it is refused rather than merged.
 */
const Holidays = z.array(localDate, { error: 'expected a list of dates such as [2026-10-01, 2026-12-25]' }).superRefine(
  (dates, ctx) => {
    const first = new Map<string, number>();
    // Also when an entry is malformed (reported at its place): the list as far as it parsed.
    list(dates).forEach((d, i) => {
      if (typeof d !== 'string') return;
      const earlier = first.get(d);
      if (earlier === undefined) first.set(d, i);
      else ctx.addIssue({ code: 'custom', path: [i], message: `duplicate holiday ${d} (also holidays[${earlier}])` });
    });
  },
  { when: () => true },
);

export const GRANULARITIES = ['day', 'week', 'month'] as const;
export const ROLES = ['specialist', 'analyst', 'administrator'] as const;
export const WEEKDAY_NAMES = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] as const;

export const Bounds = z
  .strictObject({
    min: num.optional().describe('Lowest acceptable value (">= min").'),
    max: num.optional().describe('Highest acceptable value ("<= max").'),
    per: z
      .enum(['period', 'day'])
      .default('period')
      .describe(
        '`day`: the bounds are per day and scale with the days of a week or month the business was open (for counts); see "Closed days".',
      ),
  })
  .refine((b) => b.min !== undefined || b.max !== undefined, { error: 'expected min, max or both' })
  .refine((b) => b.min === undefined || b.max === undefined || b.min <= b.max, {
    error: 'min must not be greater than max',
  });
export type Bounds = z.infer<typeof Bounds>;

export const Kpi = z.strictObject({
  id: id('a KPI id'),
  name: z.string().min(1).describe('Name shown in reports and alerts.'),
  department: id('a department id').optional().describe('Owning department; specialists see their own only.'),
  formula: z
    .string()
    .superRefine(problem(formulaProblem))
    .describe(
      `Formula in the KPI language (see "KPI formulas"): at most ${MAX_FORMULA_LENGTH} characters, nested at most ${MAX_FORMULA_DEPTH} levels deep.`,
    ),
  unit: z
    .enum(['count', 'percent', 'ratio', 'currency', 'score'])
    .default('count')
    .describe(
      'How values are shown: percent shows 0.031 as 3.1%, so its target and alarm are shares too (3% or 0.03, not 3).',
    ),
  decimals: z.int().min(0).max(6).optional().describe('Decimals shown (default by unit).'),
  target: Bounds.optional().describe('The goal. A result 15% or more better is "outstanding".'),
  alarm: Bounds.optional().describe('Alarm floor/ceiling: crossing it is an incident even without a pattern change.'),
  weight: weight
    .optional()
    .describe('Share of the weighted scorecard, from 0% to 100% (weights of all KPIs add up to 100%).'),
  granularities: z
    .array(z.enum(GRANULARITIES))
    .min(1)
    .default(['day', 'week', 'month'])
    .describe('Periods the KPI is rolled up for.'),
  scopeBy: z
    .string()
    .regex(
      /^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$/,
      'expected an event property name such as department or geo.region (names joined by single dots)',
    )
    .optional()
    .describe('Also compute the KPI per value of this event property (e.g. department).'),
});
export type Kpi = z.infer<typeof Kpi>;

export const Person = z.strictObject({
  id: id('a person id'),
  name: z.string().min(1),
  email: z.email({ error: 'expected an email address' }),
  role: z.enum(ROLES, { error: `expected a role: ${ROLES.join(', ')}` }),
  department: id('a department id').optional().describe('Required for specialists: the KPIs they may see.'),
});
export type Person = z.infer<typeof Person>;

export const PROBLEM_KINDS = [
  'target_breach',
  'deviation',
  'missing_data',
  'job_failed',
  'backup_failed',
  'data_mismatch',
  'complaint_surge',
] as const;

export const ResponsePlan = z.strictObject({
  id: id('a plan id'),
  title: z.string().min(1),
  problems: z
    .array(z.enum(PROBLEM_KINDS))
    .default([])
    .describe(`Kinds of problem this plan handles: ${PROBLEM_KINDS.join(', ')}.`),
  kpis: z.array(id('a KPI id')).default([]).describe('KPIs whose incidents this plan handles (any kind).'),
  firstResponder: id('a person id').describe('Person who acts first; gets every alert of the plan.'),
  alsoTell: z.array(id('a person id')).default([]).describe('People kept informed.'),
  steps: z.array(z.string().min(1)).min(1).describe('Runbook steps quoted in the alert.'),
});
export type ResponsePlan = z.infer<typeof ResponsePlan>;

/** The kinds of alert condition; each condition is a mapping with exactly one of them as its key. */
const CONDITIONS = {
  breach: z.enum(['target', 'alarm']).describe('Value outside its target or alarm bounds (the KPI must have them).'),
  deviation: z.strictObject({
    direction: z.enum(['up', 'down', 'both']).default('both'),
    sensitivity: z.number().min(0).max(1).default(0.5).describe('0 = only extreme deviations, 1 = sensitive.'),
  }),
  change: z.strictObject({
    pct: percentPoints(z.number({ error: PERCENT_POINTS }).positive()).describe(
      'Change against the previous period (a daily KPI with a weekly rhythm: the same weekday a week before), in percent: 25 and 25% both mean 25 percent.',
    ),
    direction: z.enum(['up', 'down', 'both']).default('both'),
  }),
  volume: z.strictObject({ kpi: id('a KPI id'), min: z.number() }).describe('Only when another KPI is >= min.'),
  missing: z.literal(true).describe('The KPI has no value for the period (combines with volume only).'),
} as const;

/**
 * A union whose branch is chosen by the one key the mapping has, so an error is that branch's, at its own path
 * (`all[0].change.pct: ...`), not "expected one of" for a condition that names its kind. The routing runs first and
 * stops at the first problem; the union after it gives the value and the reference its documentation.
 */
function keyedUnion<const T extends Record<string, z.ZodType>>(branches: T) {
  const kinds = Object.keys(branches);
  const expected = `expected one of: ${kinds.join(', ')}`;
  const options = kinds.map((k) => z.strictObject({ [k]: branches[k] as z.ZodType }));
  const route = (value: unknown, ctx: z.RefinementCtx) => {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      ctx.addIssue({ code: 'custom', message: `${expected} (a mapping such as { ${kinds[0]}: ... })`, input: value });
      return z.NEVER;
    }
    const keys = Object.keys(value);
    const known = keys.filter((k) => Object.hasOwn(branches, k));
    if (known.length !== 1) {
      const quoted = (list: string[]) => list.map((k) => `'${k}'`).join(', ');
      const message =
        known.length > 1
          ? `${expected}, one per item; found ${quoted(known)}`
          : `${expected}; found ${keys.length === 0 ? 'an empty mapping' : quoted(keys)}`;
      ctx.addIssue({ code: 'custom', message, input: value });
      return z.NEVER;
    }
    const kind = known[0] as string;
    const parsed = options[kinds.indexOf(kind)]!.safeParse(value, { reportInput: true });
    if (parsed.success) return value;
    for (const issue of parsed.error.issues) {
      // An unknown key is re-raised as a custom issue per key: alone it would not stop the pipe, and the union after
      // it would add the very "expected one of" this routing is for.
      if (issue.code !== 'unrecognized_keys') ctx.addIssue({ ...issue } as Parameters<typeof ctx.addIssue>[0]);
      else
        for (const key of issue.keys)
          ctx.addIssue({ code: 'custom', path: [...issue.path, key], message: 'unknown field' });
    }
    return z.NEVER;
  };
  const union = z.union(options as unknown as [z.ZodType, z.ZodType, ...z.ZodType[]]);
  return z.preprocess(route, union as unknown as z.ZodType<Keyed<T>>);
}
/** `{ breach: ... } | { deviation: ... } | ...`: one key of T, with its schema's output. */
type Keyed<T extends Record<string, z.ZodType>> = { [K in keyof T]: { [P in K]: z.output<T[K]> } }[keyof T];

const Condition = keyedUnion(CONDITIONS);

export const AlertRule = z.strictObject({
  id: id('a rule id'),
  kpi: id('a KPI id'),
  scope: z
    .string()
    .optional()
    .describe('A value of the KPI\'s scopeBy property (e.g. "market"); default the overall value.'),
  granularity: z.enum(GRANULARITIES).default('day').describe("Period judged: one of the KPI's granularities."),
  all: z.array(Condition).min(1).describe('Every condition must hold for the period to be anomalous.'),
  severity: z.enum(['warning', 'critical']).default('warning'),
  plan: id('a response plan id').optional().describe('Response plan; default: the plan that lists the KPI or kind.'),
  openAfter: z.int().min(1).default(1).describe('Anomalous periods in a row before an incident opens.'),
  resolveAfter: z.int().min(1).default(2).describe('Normal periods in a row before it resolves.'),
  cooldownDays: z.int().min(0).default(1).describe('Days after resolution before the same incident may reopen.'),
});

export const ExpectedEvent = z.strictObject({
  event: z.string().min(1),
  maxSilenceHours: z.number().positive().describe('An incident opens when no such event arrived for this long.'),
  plan: id('a response plan id').optional(),
});

const Schedule = z
  .strictObject({
    every: z.enum(['day', 'week', 'month']),
    at: timeOfDay,
    weekday: z.enum(WEEKDAY_NAMES).optional().describe('For every: week (default monday).'),
    dayOfMonth: z.int().min(1).max(28).optional().describe('For every: month (default 1).'),
  })
  .superRefine(
    (s: Parsed, ctx) => {
      // Otherwise ignored: a report meant for Fridays would arrive every day. Also when another field is refused (an
      // `at` of 5am); not when `every` is, which is reported at its path.
      const every = at(s, 'every');
      if (every !== 'day' && every !== 'week' && every !== 'month') return;
      if (at(s, 'weekday') !== undefined && every !== 'week') {
        ctx.addIssue({ code: 'custom', path: ['weekday'], message: `applies to every: week, not every: ${every}` });
      }
      if (at(s, 'dayOfMonth') !== undefined && every !== 'month') {
        ctx.addIssue({ code: 'custom', path: ['dayOfMonth'], message: `applies to every: month, not every: ${every}` });
      }
    },
    { when: () => true },
  );
export type Schedule = z.infer<typeof Schedule>;

export const REPORT_SECTIONS = ['scorecard', 'kpis', 'trends', 'incidents', 'checks', 'pipeline'] as const;

export const Report = z.strictObject({
  id: id('a report id'),
  title: z.string().min(1),
  schedule: Schedule,
  period: z.enum(GRANULARITIES).optional().describe('Period reported on; default the schedule\'s "every".'),
  kpis: z.union([z.literal('all'), z.array(id('a KPI id'))]).default('all'),
  sections: z.array(z.enum(REPORT_SECTIONS)).default([...REPORT_SECTIONS]),
  recipients: z.array(id('a person id')).min(1),
  whenDataMissing: z
    .enum(['say', 'wait'])
    .default('say')
    .describe('Rollup has not run: send saying so, or wait (retry) until it has.'),
});
export type Report = z.infer<typeof Report>;

const BackupCheckBase = {
  id: id('a check id'),
  table: tableName.describe('DynamoDB table name.'),
  plan: id('a response plan id').optional(),
};

export const BackupCheck = z.discriminatedUnion(
  'kind',
  [
    z.strictObject({
      ...BackupCheckBase,
      kind: z.literal('dynamodb_pitr'),
      maxLagMinutes: z.number().positive().default(30).describe('Latest restorable time at most this old.'),
    }),
    z.strictObject({
      ...BackupCheckBase,
      kind: z.literal('dynamodb_backup'),
      rpoHours: z.number().positive().default(26),
      maxShrinkPct: percentPoints(z.number({ error: PERCENT_POINTS }).min(0).max(100), 50),
    }),
    z.strictObject({
      ...BackupCheckBase,
      kind: z.literal('aws_backup'),
      vault: z
        .string()
        .regex(/^[A-Za-z0-9_-]{2,50}$/, 'expected a backup vault name: 2 to 50 letters, digits, _ or -')
        .default('Default'),
      rpoHours: z.number().positive().default(26),
      minRetentionDays: z.number().min(0).default(7),
      maxShrinkPct: percentPoints(z.number({ error: PERCENT_POINTS }).min(0).max(100), 50),
      minDurationSeconds: z.number().min(0).default(0).describe('A job faster than this is suspicious.'),
      restoreTest: z.boolean().default(false).describe('Create an AWS Backup restore testing plan for it.'),
      restoreCountTolerancePct: percentPoints(z.number({ error: PERCENT_POINTS }).min(0).max(100), 5).describe(
        'Restore test: restored item count may differ from the live table by this many percent.',
      ),
      restoreSampleSize: z
        .int()
        .min(0)
        .max(1000)
        .default(20)
        .describe('Restore test: items of the restored table compared with the live table by key.'),
    }),
  ],
  { error: 'expected kind: dynamodb_pitr, dynamodb_backup or aws_backup' },
);
export type BackupCheck = z.infer<typeof BackupCheck>;

const FilterValue = z.union([z.string(), z.number(), z.boolean()]);

const ReconcileSide = z.strictObject({
  table: tableName,
  key: z.string().min(1).describe('Attribute that pairs items across the two tables.'),
  amount: z.string().min(1).describe('Numeric attribute that must agree.'),
  timeAttribute: z.string().optional().describe('ISO or epoch attribute used by olderThanMinutes.'),
  filter: z
    .record(
      z.string().min(1),
      z.union([FilterValue, z.array(FilterValue).min(1)], { error: 'expected a value or a list of values' }),
    )
    .optional()
    .describe('Only items whose attributes equal these values (a list: any of them), e.g. { status: PAID }.'),
});

export const Reconciliation = z.strictObject({
  id: id('a check id'),
  left: ReconcileSide,
  right: ReconcileSide,
  tolerance: z.number().min(0).default(0.005),
  olderThanMinutes: z.number().min(0).default(60).describe('Skip items newer than this (still in flight).'),
  maxExamples: z.int().min(0).default(10),
  plan: id('a response plan id').optional(),
});
export type Reconciliation = z.infer<typeof Reconciliation>;

const ConfigObject = z.strictObject({
  name: z
    .string()
    .superRefine(problem(stackNameProblem))
    .default('nightshift')
    .describe(
      "Stack name and resource name prefix: a letter, then letters, digits or hyphens, at most 128 characters (CloudFormation's rule).",
    ),
  timeZone: z
    .string()
    .superRefine(problem(timeZoneProblem))
    .describe(
      "IANA time zone of a region (Asia/Shanghai, Europe/Berlin), or UTC. All days, weeks, months and schedules are in this zone. UTC offsets (+08:00, GMT+8, Etc/GMT-8) are refused: EventBridge Scheduler needs a named zone, and only a region's zone follows its daylight-saving changes.",
    ),
  email: z.strictObject({
    from: z
      .string()
      .superRefine(problem(senderProblem))
      .describe('Sender, e.g. "Nightshift <nightshift@example.com>"; an SES-verified identity.'),
    replyTo: z.email().optional(),
  }),
  departments: z.array(id('a department id')).min(1),
  people: z.array(Person).min(1),
  kpis: z.array(Kpi).min(1),
  ingest: z
    .strictObject({
      batchSize: z.int().min(1).max(10000).default(100).describe('SQS messages per Lambda invocation.'),
      batchWindowSeconds: z.int().min(0).max(300).default(5),
      shardsPerDay: z.int().min(1).max(256).default(8).describe('Partitions per local day of events.'),
      maxEventBytes: z.int().min(1).max(262_144).default(262_144),
      eventRetentionDays: z
        .int()
        .min(1)
        .default(400)
        .describe('Days raw events are kept (in the S3 archive; DynamoDB keeps them about 15 days).'),
      quarantineRetentionDays: z.int().min(1).default(14),
      futureToleranceMinutes: z
        .int()
        .min(0)
        .max(7 * 24 * 60)
        .default(60)
        .describe('Timestamps later than this after the message was sent are quarantined (future_timestamp).'),
    })
    .prefault({}),
  jobs: z
    .strictObject({
      rollupAt: timeOfDay
        .default(JOB_TIMES.rollupAt)
        .describe(
          'Nightly rollup of yesterday, local time (hourly detection runs at its minute + 30, the watchdog at + 15). Refused in the hour the clocks skip in spring (Scheduler would skip the run).',
        ),
      recomputeDays: z
        .int()
        .min(0)
        .max(31)
        .default(0)
        .describe(
          'Also read this many days before yesterday again every night; a day that receives late events is read again anyway.',
        ),
      checksAt: timeOfDay
        .default(JOB_TIMES.checksAt)
        .describe(
          "Backup and data checks, local time: after the night's backups, before the morning's reports (an aws_backup restore test starts an hour later). Refused in the hour the clocks skip in spring (Scheduler would skip the run) when checks are configured; without any, only warned about.",
        ),
      graceMinutes: z.int().min(1).default(60).describe('A due run later than this is "missed".'),
    })
    .prefault({}),
  alerts: z
    .strictObject({
      rules: z.array(AlertRule).default([]),
      expectedEvents: z.array(ExpectedEvent).default([]),
    })
    .prefault({}),
  responsePlans: z.array(ResponsePlan).default([]),
  checks: z
    .strictObject({
      backups: z.array(BackupCheck).default([]),
      reconciliations: z.array(Reconciliation).default([]),
    })
    .prefault({}),
  reports: z.array(Report).default([]),
  holidays: Holidays.default([]).describe(
    'Public holidays and other known special days, as "YYYY-MM-DD" in the time zone, e.g. [2026-10-01, 2026-12-25]. A daily deviation rule leaves them out of the baseline and never opens an incident on one (it may keep a running one open); a daily change rule does not compare one with an ordinary day; a KPI with no value on one is not missing data; expected-event silences judge one as a Sunday. One without events, or any one where Sundays are closed, is a closed day: its target and alarm bounds are not judged (not scored, not alerted on). A date listed twice is refused.',
  ),
  monitoring: z
    .strictObject({
      alarmEmail: z.email().optional().describe('Receives CloudWatch alarms about Nightshift itself.'),
      queueSilenceMinutes: z.int().min(1).default(120),
    })
    .prefault({}),
});

/** An address, or a display name and an address in angle brackets. */
function senderProblem(from: string): string | undefined {
  const match = /^[^<>\r\n]*<([^<>\s]+)>$|^([^<>\s]+)$/.exec(from.trim());
  const address = match?.[1] ?? match?.[2];
  if (address !== undefined && z.email().safeParse(address).success) return undefined;
  return 'expected a sender such as nightshift@example.com or "Nightshift <nightshift@example.com>"';
}

/**
 * The cross-checks run even when fields failed their own rules, so one `validate` names every problem: a typo in one
 * rule does not hide an unknown KPI in another. They read the config as far as it parsed (see `Parsed`).
 */
export const NightshiftConfig = ConfigObject.superRefine((cfg, ctx) => crossCheck(cfg, ctx), { when: () => true });
export type NightshiftConfig = z.infer<typeof NightshiftConfig>;

type Path = (string | number)[];
type Issue = (path: Path, message: string) => void;

const isGranularity = (value: Parsed): value is (typeof GRANULARITIES)[number] =>
  (GRANULARITIES as readonly Parsed[]).includes(value);
/** A KPI's granularities if they all parsed (one that did not is reported at its path): a rule is judged by them. */
const granularitiesOf = (kpi: Parsed): (typeof GRANULARITIES)[number][] | undefined => {
  const gs = at(kpi, 'granularities');
  return Array.isArray(gs) && gs.length > 0 && gs.every(isGranularity) ? gs : undefined;
};

/**
 * The ids of a section's items. `complete` is false when an item has no id to read (reported at its own path) or the
 * section is not a list: a reference that is not among them may then be to that item, so it is not called unknown.
 */
interface Ids {
  ids: Set<string>;
  complete: boolean;
}

/** References between sections: ids must exist and be unique, weights add up, specialists have a department. */
function crossCheck(cfg: Parsed, ctx: z.RefinementCtx): void {
  // Where a field's own rule has spoken, a cross-check adds nothing: 'Dau' is not an id, and that is the problem.
  const reported = new Set(ctx.issues.map((i) => JSON.stringify(i.path ?? [])));
  const wasReported = (path: Path) => reported.has(JSON.stringify(path));
  const issue: Issue = (path, message) => ctx.addIssue({ code: 'custom', path, message });

  const unique = (section: string[]): Ids => {
    const items = at(cfg, ...section);
    const seen: Ids = { ids: new Set(), complete: Array.isArray(items) };
    list(cfg, ...section).forEach((x, i) => {
      const id = text(at(x, 'id'));
      if (id === undefined) seen.complete = false;
      else if (seen.ids.has(id)) issue([...section, i, 'id'], `duplicate id '${id}'`);
      else seen.ids.add(id);
    });
    return seen;
  };
  const people = unique(['people']);
  const kpis = unique(['kpis']);
  const plans = unique(['responsePlans']);
  unique(['reports']);
  unique(['alerts', 'rules']);
  uniqueCheckIds(cfg, issue);
  const departments: Ids = { ids: new Set(), complete: Array.isArray(at(cfg, 'departments')) };
  list(cfg, 'departments').forEach((d, i) => {
    if (typeof d !== 'string') departments.complete = false;
    else if (departments.ids.has(d)) issue(['departments', i], `duplicate department '${d}'`);
    else departments.ids.add(d);
  });

  const ref = (known: Ids, value: Parsed, path: Path, what: string) => {
    if (typeof value !== 'string' || known.ids.has(value) || !known.complete) return;
    if (wasReported(path)) return;
    issue(path, `unknown ${what} '${value}' (known: ${[...known.ids].join(', ') || 'none'})`);
  };

  list(cfg, 'people').forEach((p, i) => {
    const department = at(p, 'department');
    if (at(p, 'role') === 'specialist' && department === undefined)
      issue(['people', i, 'department'], 'a specialist needs a department');
    ref(departments, department, ['people', i, 'department'], 'department');
  });
  const kpiList = list(cfg, 'kpis');
  kpiList.forEach((k, i) => {
    ref(departments, at(k, 'department'), ['kpis', i, 'department'], 'department');
    // The scorecard scores a KPI against its target: a weight without one would silently drop out of the score.
    if (at(k, 'weight') !== undefined && at(k, 'target') === undefined)
      issue(['kpis', i, 'weight'], 'a weight needs a target: the scorecard scores a KPI against its target');
    shareBounds(k, (path, message) => {
      issue(['kpis', i, ...path], message);
    });
  });
  // The total when every weight given is a number (one out of range is refused at its path, and still counts).
  const weights = kpiList.map((k) => at(k, 'weight')).filter((w) => w !== undefined);
  if (weights.length > 0 && weights.every((w) => typeof w === 'number')) {
    const total = weights.reduce((s, w) => s + w, 0);
    if (Math.abs(total - 1) > 1e-6) issue(['kpis'], `weights add up to ${+(total * 100).toFixed(2)}%, expected 100%`);
  }
  list(cfg, 'responsePlans').forEach((p, i) => {
    ref(people, at(p, 'firstResponder'), ['responsePlans', i, 'firstResponder'], 'person');
    list(p, 'alsoTell').forEach((t, j) => {
      ref(people, t, ['responsePlans', i, 'alsoTell', j], 'person');
    });
    list(p, 'kpis').forEach((k, j) => {
      ref(kpis, k, ['responsePlans', i, 'kpis', j], 'KPI');
    });
  });
  scheduleTimes(cfg, issue);
  const kpiById = new Map<string, Parsed>();
  for (const k of kpiList) {
    const id = text(at(k, 'id'));
    if (id !== undefined) kpiById.set(id, k);
  }
  list(cfg, 'alerts', 'rules').forEach((r, i) => {
    ref(kpis, at(r, 'kpi'), ['alerts', 'rules', i, 'kpi'], 'KPI');
    ref(plans, at(r, 'plan'), ['alerts', 'rules', i, 'plan'], 'response plan');
    list(r, 'all').forEach((cond, j) => {
      ref(kpis, at(cond, 'volume', 'kpi'), ['alerts', 'rules', i, 'all', j, 'volume', 'kpi'], 'KPI');
      const pct = at(cond, 'change', 'pct');
      if (at(cond, 'change', 'direction') === 'down' && typeof pct === 'number' && pct >= 100)
        issue(
          ['alerts', 'rules', i, 'all', j, 'change', 'pct'],
          `a drop of ${pct}% can never happen (a value falls by 100% at most), so the rule could never fire`,
        );
    });
    const kpiId = text(at(r, 'kpi'));
    const kpi = kpiId === undefined ? undefined : kpiById.get(kpiId);
    if (kpi !== undefined) {
      checkRule(r, kpi, kpiById, (path, message) => {
        issue(['alerts', 'rules', i, ...path], message);
      });
    }
  });
  list(cfg, 'alerts', 'expectedEvents').forEach((e, i) => {
    ref(plans, at(e, 'plan'), ['alerts', 'expectedEvents', i, 'plan'], 'response plan');
  });
  for (const section of ['backups', 'reconciliations'] as const) {
    list(cfg, 'checks', section).forEach((chk, i) => {
      ref(plans, at(chk, 'plan'), ['checks', section, i, 'plan'], 'response plan');
    });
  }
  list(cfg, 'reports').forEach((r, i) => {
    list(r, 'recipients').forEach((p, j) => {
      ref(people, p, ['reports', i, 'recipients', j], 'person');
    });
    list(r, 'kpis').forEach((k, j) => {
      ref(kpis, k, ['reports', i, 'kpis', j], 'KPI');
    });
  });
}

/**
 * A bound outside what the KPI's formula can give: above 1 on a share (0 to 1, shown as 0% to 100%), above 100 on 100
 * times a share. No value reaches such a minimum or exceeds such a maximum. Most often a percent written as a number
 * (`min: 30` for 30%).
 */
function shareBounds(kpi: Parsed, issue: Issue): void {
  const formula = text(at(kpi, 'formula'));
  if (formula === undefined) return;
  let scale: number | undefined;
  try {
    scale = shareScale(parseFormula(formula));
  } catch (error) {
    if (error instanceof FormulaError) return; // reported at the formula's path
    throw error;
  }
  if (scale === undefined) return;
  const range =
    scale === 1
      ? 'the formula is a share from 0 to 1 (shown as 0% to 100%)'
      : `the formula is ${+scale.toPrecision(12)} times a share, from 0 to ${+scale.toPrecision(12)}`;
  for (const which of ['target', 'alarm'] as const) {
    for (const bound of ['min', 'max'] as const) {
      const value = at(kpi, which, bound);
      if (typeof value !== 'number' || !(value > scale)) continue;
      const never = bound === 'min' ? 'no value can reach' : 'no value can exceed';
      const written = scale === 1 ? ` (${asPercent(value)}); write a share such as 0.3 or 30%` : '';
      issue([which, bound], `${range}: ${never} a ${bound} of ${+value.toPrecision(12)}${written}`);
    }
  }
}

/**
 * Check results are stored and alerted by check id alone, so backups and reconciliations share one set of ids, and a
 * restore test's results are stored as `<id>_restore`.
 */
function uniqueCheckIds(cfg: Parsed, issue: Issue): void {
  const owners = new Map<string, string>();
  const take = (checkId: string, owner: string, path: Path, problem: (first: string) => string) => {
    const first = owners.get(checkId);
    if (first === undefined) owners.set(checkId, owner);
    else issue(path, problem(first));
  };
  list(cfg, 'checks', 'backups').forEach((b, i) => {
    const id = text(at(b, 'id'));
    if (id === undefined) return;
    const path = ['checks', 'backups', i, 'id'];
    take(id, `checks.backups[${i}].id`, path, (first) => `duplicate check id '${id}' (also ${first})`);
    if (at(b, 'kind') === 'aws_backup' && at(b, 'restoreTest') === true) {
      const restore = `${id}_restore`;
      take(
        restore,
        `the id checks.backups[${i}]'s restore test stores its results under`,
        path,
        (first) => `its restore test stores results as check '${restore}', which is also ${first}`,
      );
    }
  });
  list(cfg, 'checks', 'reconciliations').forEach((r, i) => {
    const id = text(at(r, 'id'));
    if (id === undefined) return;
    const path = ['checks', 'reconciliations', i, 'id'];
    take(id, `checks.reconciliations[${i}].id`, path, (first) => `duplicate check id '${id}' (also ${first})`);
  });
}

/** The kind of an alert condition that parsed ({ breach: ... } is 'breach'), or undefined. */
function conditionKind(cond: Parsed): keyof typeof CONDITIONS | undefined {
  if (!isMapping(cond)) return undefined;
  const keys = Object.keys(cond);
  return keys.length === 1 && Object.hasOwn(CONDITIONS, keys[0]!) ? (keys[0] as keyof typeof CONDITIONS) : undefined;
}

/**
 * A rule that its KPI makes impossible (shared/alerts/rules.ts): a breach of a bound the KPI does not have, a
 * granularity the KPI (or its volume KPI) is not rolled up for, a scope of a KPI without scopeBy (no per-scope values:
 * missing data every period), `missing` beside a condition that needs a value. What did not parse is not judged.
 */
function checkRule(rule: Parsed, kpi: Parsed, kpiById: ReadonlyMap<string, Parsed>, issue: Issue): void {
  const ruleId = text(at(rule, 'id'));
  const never = `${ruleId === undefined ? 'the rule' : `rule '${ruleId}'`} on KPI '${text(at(kpi, 'id'))}' can never fire`;
  const g = at(rule, 'granularity');
  const granularity = isGranularity(g) ? g : undefined;
  const granularities = granularitiesOf(kpi);
  if (granularity !== undefined && granularities !== undefined && !granularities.includes(granularity)) {
    const defaulted = granularity === 'day' ? '; a rule judges days unless it sets granularity' : '';
    issue(
      ['granularity'],
      `${never}: the KPI is not rolled up for ${granularity} (its granularities: ${granularities.join(', ')})${defaulted}`,
    );
  }
  const scope = text(at(rule, 'scope'));
  if (scope !== undefined && at(kpi, 'scopeBy') === undefined) {
    issue(
      ['scope'],
      `${never}: scope '${scope}' needs the KPI to have scopeBy (without it there are no per-scope values, and the rule would report missing data every ${granularity ?? 'period'})`,
    );
  }
  const conditions = list(rule, 'all');
  const needsValue = conditions.map(conditionKind).filter((k) => k === 'breach' || k === 'deviation' || k === 'change');
  conditions.forEach((cond, j) => {
    const kind = conditionKind(cond);
    if (kind === 'breach') {
      const which = at(cond, 'breach');
      if (which !== 'target' && which !== 'alarm') return;
      if (at(kpi, which) !== undefined) return;
      const bound = which === 'target' ? 'a target' : 'alarm bounds';
      const instead =
        at(kpi, which === 'target' ? 'alarm' : 'target') !== undefined
          ? `, or use { breach: ${which === 'target' ? 'alarm' : 'target'} }`
          : '';
      issue(
        ['all', j],
        `${never}: { breach: ${which} } but the KPI has no ${which === 'target' ? 'target' : 'alarm bounds'} (give it ${bound}${instead})`,
      );
    } else if (kind === 'volume') {
      const otherId = text(at(cond, 'volume', 'kpi'));
      const other = otherId === undefined ? undefined : kpiById.get(otherId);
      const theirs = granularitiesOf(other);
      if (granularity !== undefined && theirs !== undefined && !theirs.includes(granularity)) {
        issue(
          ['all', j, 'volume', 'kpi'],
          `${never}: its volume KPI '${otherId}' is not rolled up for ${granularity} (its granularities: ${theirs.join(', ')})`,
        );
      }
    } else if (kind === 'missing' && at(cond, 'missing') === true && needsValue.length > 0) {
      const kinds = [...new Set(needsValue)].join(' and ');
      const need = needsValue.length > 1 ? 'conditions need' : 'condition needs';
      issue(
        ['all', j],
        `${never}: { missing: true } holds only when the KPI has no value, but its ${kinds} ${need} one`,
      );
    }
  });
}

/** Two calendar years of days: every daylight-saving rule repeats within them. Fixed, so validation never reads the clock. */
export const DST_CHECK_DAYS: readonly LocalDate[] = dateRange('2026-01-01', '2027-12-31');

/** Whether the config has a backup check or a reconciliation (as far as it parsed): work for the checks job. */
export const hasChecks = (cfg: Parsed): boolean =>
  list(cfg, 'checks', 'backups').length + list(cfg, 'checks', 'reconciliations').length > 0;
const WEEKDAY_NUMBER: Record<string, number> = {
  monday: 1,
  tuesday: 2,
  wednesday: 3,
  thursday: 4,
  friday: 5,
  saturday: 6,
  sunday: 7,
};

/**
 * A scheduled time that the clocks skip when they go forward (02:30 in Europe/Berlin on the last Sunday of March) is
 * a run EventBridge Scheduler silently skips that night: refused, with the date it would be missed.
 */
function scheduleTimes(cfg: Parsed, issue: Issue): void {
  const timeZone = text(at(cfg, 'timeZone'));
  if (timeZone === undefined || timeZoneProblem(timeZone) !== undefined) return; // reported at timeZone
  const check = (time: Parsed, days: readonly LocalDate[], path: Path, what: string) => {
    // A time that is not HH:MM is reported at its own path already.
    if (typeof time !== 'string' || !/^([01]\d|2[0-3]):[0-5]\d$/.test(time)) return;
    const day = skippedLocalTime(time, timeZone, days);
    if (day === undefined) return;
    issue(
      path,
      `${time} does not exist in ${timeZone} on ${day} (the clocks go forward): EventBridge Scheduler would skip ${what} that night; choose a time outside the hour the clocks skip`,
    );
  };
  check(at(cfg, 'jobs', 'rollupAt'), DST_CHECK_DAYS, ['jobs', 'rollupAt'], 'the rollup');
  // Without any check the job has nothing to do and the watchdog expects no run: a skipped night is no loss, so the
  // time is only warned about (warnings.ts), to be moved before checks are added.
  if (hasChecks(cfg)) {
    check(at(cfg, 'jobs', 'checksAt'), DST_CHECK_DAYS, ['jobs', 'checksAt'], 'the backup and data checks');
  }
  list(cfg, 'reports').forEach((r, i) => {
    const every = at(r, 'schedule', 'every');
    if (every !== 'day' && every !== 'week' && every !== 'month') return; // reported at schedule.every
    const weekday = at(r, 'schedule', 'weekday') ?? 'monday';
    const dayOfMonth = at(r, 'schedule', 'dayOfMonth') ?? 1;
    const days = DST_CHECK_DAYS.filter((d) =>
      every === 'day'
        ? true
        : every === 'week'
          ? isoWeekday(d) === WEEKDAY_NUMBER[String(weekday)]
          : Number(d.slice(8)) === dayOfMonth,
    );
    check(at(r, 'schedule', 'at'), days, ['reports', i, 'schedule', 'at'], `the report '${String(at(r, 'id'))}'`);
  });
}
