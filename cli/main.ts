// The `nightshift` command line: the same domain code the Lambda functions run, against a local stack by default.
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { assertReadable, readInputFile } from '#shared/config/input-file.ts';
import {
  ConfigError,
  type ConfigProblem,
  DEFAULT_CONFIG_FILE,
  formatProblem,
  formatWarning,
  loadConfig,
} from '#shared/config/load.ts';
import { configReference, REFERENCE_END, REFERENCE_START } from '#shared/config/reference.ts';
import { readDayFigures } from '#shared/events/day-figures.ts';
import { assertEventFileHeader, countLines, fileLineOf, readEventFile } from '#shared/events/files.ts';
import { type IngestResult, ingestMessages, type StoredMessages } from '#shared/events/ingest.ts';
import { JOBS, parseJobNames, recentRuns, recordRun } from '#shared/jobs/runs.ts';
import { readKpiValues } from '#shared/kpi/kpi-store.ts';
import { eventNoteLine, propertyNoteLine } from '#shared/kpi/property-reads.ts';
import { type RangeRollupSummary, rollupRange } from '#shared/kpi/rollup.ts';
import { unreadNoteLines } from '#shared/kpi/unread-names.ts';
import {
  addDays,
  dateRange,
  dayLabel,
  type Granularity,
  granularityOf,
  type LocalDate,
  type PeriodId,
  parseLocalDate,
  periodBounds,
  yesterday,
} from '#shared/time/calendar.ts';
import { backfillCommand } from './backfill.ts';
import { runCheckBackups } from './checks.ts';
import { type CommandContext, type GlobalOptions, withContext } from './context.ts';
import { runDemo } from './demo.ts';
import { runDetect, transitionsInOrder, unseenEventLine } from './detect.ts';
import { serveInbox } from './inbox.ts';
import { errorJson, jsonLine, printJson } from './json.ts';
import { kpiRows, silentInputLine, silentInputs, unexplained } from './kpis.ts';
import { progress } from './progress.ts';
import { pseudonymCommand, useLocalPseudonymKey } from './pseudonym.ts';
import { quarantineCommand } from './quarantine.ts';
import { type ReportOptions, reportCommandRun } from './report.ts';
import { serveCommand } from './serve.ts';
import { instantProblem, parseInstant, parseJobList, runWatchdog, watchdogLines } from './watchdog.ts';

/** Every verb, in the order `--help` lists them. */
const COMMANDS: Array<() => Command> = [
  validateCommand,
  ingestCommand,
  quarantineCommand,
  serveCommand,
  rollupCommand,
  backfillCommand,
  kpisCommand,
  detectCommand,
  checkBackupsCommand,
  reportCommand,
  runsCommand,
  watchdogCommand,
  inboxCommand,
  configReferenceCommand,
  demoCommand,
  pseudonymCommand,
];

export function buildProgram(): Command {
  const program = new Command('nightshift')
    .description('Nightshift: the overnight routine of an operations team, on AWS or on this machine.')
    .addOption(new Option('-c, --config <file>', 'config file').default(DEFAULT_CONFIG_FILE))
    .addOption(new Option('-d, --data <dir>', 'local state directory').default('.nightshift'))
    .addOption(new Option('--endpoint <url>', 'use a running DynamoDB instead of starting a local one'))
    .addOption(new Option('--json', 'machine-readable output'))
    .addOption(
      new Option(
        '--now <instant>',
        'run as if the clock read this instant (ISO 8601 with offset); default: the real clock',
      ).argParser((value) => {
        const problem = instantProblem(value);
        // Commander's message names the option and value ("argument 'x' is invalid."); the problem follows.
        if (typeof problem === 'string') throw new InvalidArgumentError(problem[0]!.toUpperCase() + problem.slice(1));
        return problem.ms;
      }),
    )
    // Commander's argument errors (unknown option, missing value) throw instead of exiting, so `main` can answer them
    // in JSON like any other failure; every verb inherits it (copyInheritedSettings).
    .exitOverride()
    .hook('preAction', useLocalPseudonymKey);

  for (const command of COMMANDS) program.addCommand(command().copyInheritedSettings(program));
  pointToHelp(program);
  return program;
}

/** After an argument error, one line on where the usage is, not the whole help: the error stays in sight. */
function pointToHelp(command: Command, path = [command.name()]): void {
  command.showHelpAfterError(`see ${path.join(' ')} --help`);
  for (const sub of command.commands) pointToHelp(sub, [...path, sub.name()]);
}

const globals = (cmd: Command) => cmd.optsWithGlobals() as GlobalOptions;

function validateCommand(): Command {
  return new Command('validate')
    .description('check a config file; prints every problem with its path, and warnings about likely slips')
    .argument('[file]', 'config file (default: --config)')
    .action((file: string | undefined, _opts, cmd: Command) => {
      const path = file ?? globals(cmd).config;
      const warnings: ConfigProblem[] = [];
      const json = globals(cmd).json ?? false;
      let config: ReturnType<typeof loadConfig>;
      try {
        config = loadConfig(path, { onWarning: (w) => warnings.push(w) });
      } catch (error) {
        // The same document as a valid file's, so a script reads one shape either way; the text still goes to stderr.
        if (!(json && error instanceof ConfigError)) throw error;
        printJson({ valid: false, file: path, problems: error.problems, warnings });
        printConfigError(error);
        process.exitCode = 1;
        return;
      }
      const summary = {
        valid: true,
        file: path,
        timeZone: config.timeZone,
        kpis: config.kpis.length,
        people: config.people.length,
        reports: config.reports.length,
        checks: config.checks.backups.length + config.checks.reconciliations.length,
        warnings,
      };
      if (json) printJson(summary);
      else {
        const warned = warnings.length === 0 ? '' : `; ${warnings.length} warning${warnings.length === 1 ? '' : 's'}`;
        console.log(
          `${path} is valid: ${summary.kpis} KPIs, ${summary.people} people, ${summary.reports} reports, ${summary.checks} checks, time zone ${summary.timeZone}${warned}`,
        );
        for (const w of warnings) console.error(formatWarning(path, w));
      }
    });
}

/**
 * Lines of a file one ingest call takes. Its events are packed by day, and each call marks the late days it stored:
 * a history of 13 weeks in whatever order, read in chunks this large, makes packs of hundreds of events and few marks,
 * few items for DynamoDB Local on disk to commit one by one (each takes its own fsyncs).
 */
const INGEST_CHUNK_LINES = 50_000;

function ingestCommand(): Command {
  return new Command('ingest')
    .description('ingest events from JSON Lines or CSV files through the same path as the queue')
    .argument('<files...>', '.jsonl / .json (one event per line) or .csv (header row) files')
    .action(async (files: string[], _opts, cmd: Command) => {
      const opts = globals(cmd);
      // Every file before any is read: a typo in the last one, or a CSV header without a required column, stores
      // nothing.
      for (const file of files) assertReadable(file);
      for (const file of files) await assertEventFileHeader(file);
      const result = await withContext(opts, async (ctx): Promise<IngestSummary> => {
        const total: IngestResult = { accepted: 0, duplicates: 0, rejected: [], failed: [], lateDays: [] };
        // A duplicate in a later chunk is one too: the totals are unique events, as a clean re-run would count them.
        // And a line reusing the messageId of another event stored by an earlier chunk is quarantined like one in its own.
        const seen: StoredMessages = new Map();
        const tally = { blankLines: 0 };
        for (const file of files) {
          const bar = progress(`ingest ${file}`, await countLines(file));
          // With --now the lines count as sent then (a replay as of that instant), else when the file was written.
          for await (const chunk of readEventFile(file, INGEST_CHUNK_LINES, opts.now, tally)) {
            const r = await ingestMessages(chunk, { store: ctx.store, config: ctx.config, now: ctx.now, seen });
            total.accepted += r.accepted;
            total.duplicates += r.duplicates;
            total.rejected.push(...r.rejected);
            total.failed.push(...r.failed);
            total.lateDays = [...new Set([...total.lateDays, ...r.lateDays])].sort();
            bar.tick(chunk.length);
          }
          bar.done();
        }
        return { ...total, ...tally, notRolledUp: await notRolledUp(ctx, total.lateDays) };
      });
      printIngest(result, opts.json ?? false);
      if (result.failed.length > 0) process.exitCode = 1;
    });
}

function rollupCommand(): Command {
  return new Command('rollup')
    .description('compute and store KPI values for the days, weeks and months touching a date range')
    .option('--from <date>', 'first local date (YYYY-MM-DD); default yesterday')
    .option('--to <date>', 'last local date (YYYY-MM-DD); default yesterday')
    .action(async (o: { from?: string; to?: string }, cmd: Command) => {
      const opts = globals(cmd);
      const summary = await withContext(opts, async (ctx) => {
        const { from, to } = dateRangeOption(o, ctx);
        const last = yesterday(ctx.now(), ctx.config.timeZone);
        // Today rolls up to date; a later day has no events yet, and is refused before a run is recorded.
        const today = addDays(last, 1);
        if (to > today) {
          throw new Error(
            `--to ${to} is after today (${today} in ${ctx.config.timeZone}): there is nothing to roll up for it yet`,
          );
        }
        const days = dateRange(from, to);
        const bar = progress('rollup', days.length);
        const archive = await ctx.openArchive();
        // Days marked for late events are read too (and a week's day never rolled up): the line tells the range's own.
        const requested = new Set(days);
        const eventsOnDays: Record<LocalDate, number> = {};
        const work = () =>
          rollupRange(
            { from, to },
            {
              store: ctx.store,
              config: ctx.config,
              now: ctx.now,
              archive,
              onDayRead: (day, events) => {
                bar.tick();
                if (requested.has(day)) eventsOnDays[day] = events;
              },
            },
          );
        // A range reaching the last closed day does what the nightly job does: it counts as its run (the watchdog and
        // the report's pipeline section see it); an older range is a backfill, not last night's rollup.
        const result = to >= last ? await recordRun(ctx.store, 'rollup-kpis', ctx.now, work) : await work();
        bar.done();
        // A formula input that counted nothing on any day is most often a misspelt event or property name.
        const end = minDate(to, last);
        const daily = ctx.config.kpis.filter((k) => k.granularities.includes('day'));
        const values = (await Promise.all(daily.map((k) => readKpiValues(ctx.store, k.id, 'day', from, end)))).flat();
        return {
          ...result,
          from,
          to,
          eventsOnDays,
          silentInputs: unexplained(silentInputs(values), result.eventNotes),
        };
      });
      if (opts.json) printJson(summary);
      else console.log(rollupLine(summary));
      for (const note of summary.eventNotes) console.error(eventNoteLine(note));
      for (const s of summary.silentInputs) console.error(silentInputLine(s));
      for (const note of summary.propertyNotes) console.error(propertyNoteLine(note));
      for (const line of unreadNoteLines(summary.unread, summary.eventNotes, summary.propertyNotes))
        console.error(line);
    });
}

/**
 * The line `nightshift rollup` prints: what the range's own days had ('no events on Sun 8 Nov 2026'; a day not read,
 * as one that has not ended, is not taken for an empty one), the other days ingest had marked, then what it rolled
 * up, from how many days and events (a week's days rolled up before are merged from their summaries, not read).
 */
export function rollupLine(
  s: Pick<RangeRollupSummary, 'values' | 'periods' | 'daysRead' | 'eventsRead' | 'asOf'> &
    Partial<Pick<RangeRollupSummary, 'lateDays'>> & {
      from: LocalDate;
      to: LocalDate;
      /** Events of each day of the range that was read. */
      eventsOnDays: Readonly<Record<LocalDate, number>>;
    },
): string {
  const days = dateRange(s.from, s.to);
  const read = days.filter((d) => s.eventsOnDays[d] !== undefined);
  const events = read.reduce((n, d) => n + s.eventsOnDays[d]!, 0);
  const empty = read.filter((d) => s.eventsOnDays[d] === 0);
  const parts: string[] = [];
  if (read.length === 1) {
    parts.push(
      `${events === 0 ? 'no events' : events === 1 ? '1 event' : `${events} events`} on ${dayLabel(read[0]!)}`,
    );
  } else if (read.length > 1 && events === 0) {
    parts.push(`no events on any of the ${read.length} days ${read[0]}..${read.at(-1)}`);
  } else if (read.length > 1) {
    const none = empty.length <= LISTED_DATES ? empty.map(dayLabel).join(', ') : `${empty.length} of them`;
    parts.push(
      `${events} events on the ${read.length} days ${read[0]}..${read.at(-1)}${empty.length ? ` (none on ${none})` : ''}`,
    );
  }
  const late = (s.lateDays ?? []).filter((d) => d < s.from || d > s.to);
  // Marked by ingest: late events, or a history's days not rolled up before.
  if (late.length) parts.push(`also read ${dateList(late)}, marked by ingest`);
  const notEnded = days.filter((d) => d > s.asOf);
  if (notEnded.length) parts.push(`${dateList(notEnded)} not ended yet`);
  // A day no value counts yet (a retention cohort's return day is read with its cohort's period).
  const notRead = days.filter((d) => d <= s.asOf && s.eventsOnDays[d] === undefined);
  if (notRead.length)
    parts.push(`${dateList(notRead)} not read: no value counts ${notRead.length === 1 ? 'it' : 'them'} yet`);
  return `${parts.join('; ')}; rolled up ${s.values} KPI values for ${periodList(s.periods, s.asOf)} (${s.daysRead === 1 ? '1 day' : `${s.daysRead} days`} read, ${s.eventsRead === 1 ? '1 event' : `${s.eventsRead} events`}), as of ${s.asOf}`;
}

/** 'day 2026-11-08, week 2026-W45 and month 2026-11 (to date)': a period still running as of `asOf` says so. */
function periodList(periods: readonly PeriodId[], asOf: LocalDate): string {
  const groups = (['day', 'week', 'month'] as const).flatMap((g) => {
    const of = periods.filter((p) => granularityOf(p) === g).sort();
    if (of.length === 0) return [];
    const running = of.filter((p) => periodBounds(p).last > asOf);
    const toDate = running.length === 0 ? '' : of.length === 1 ? ' (to date)' : ` (${running.join(', ')} to date)`;
    if (of.length === 1) return [`${g} ${of[0]}${toDate}`];
    if (of.length <= LISTED_DATES) return [`${g}s ${of.join(', ')}${toDate}`];
    return [`${of.length} ${g}s ${of[0]}..${of.at(-1)}${toDate}`];
  });
  return groups.length <= 1 ? (groups[0] ?? 'no periods') : `${groups.slice(0, -1).join(', ')} and ${groups.at(-1)}`;
}

function kpisCommand(): Command {
  return new Command('kpis')
    .description('print stored KPI values for a date range (computing any period not rolled up yet)')
    .option('--from <date>', 'first local date (YYYY-MM-DD); default yesterday')
    .option('--to <date>', 'last local date (YYYY-MM-DD); default yesterday')
    .addOption(new Option('--granularity <g>', 'day, week or month').choices(['day', 'week', 'month']).default('day'))
    .option('--kpi <ids>', 'comma-separated KPI ids (default all)')
    .action(async (o: { from?: string; to?: string; granularity: Granularity; kpi?: string }, cmd: Command) => {
      const opts = globals(cmd);
      const rows = await withContext(opts, async (ctx) => {
        const { from, to } = dateRangeOption(o, ctx);
        const wanted = o.kpi ? o.kpi.split(',').map((k) => k.trim()) : ctx.config.kpis.map((k) => k.id);
        const known = new Set(ctx.config.kpis.map((k) => k.id));
        const unknown = wanted.filter((k) => !known.has(k));
        if (unknown.length) throw new Error(`unknown KPI ${unknown.join(', ')} (known: ${[...known].join(', ')})`);
        // Named KPIs not rolled up at this granularity would print nothing: say so instead.
        const notRolled = o.kpi
          ? ctx.config.kpis.filter((k) => wanted.includes(k.id) && !k.granularities.includes(o.granularity))
          : [];
        if (notRolled.length) {
          const list = notRolled.map((k) => `${k.id} (${k.granularities.join(', ')})`).join(', ');
          throw new Error(`not rolled up by ${o.granularity}: ${list}`);
        }
        return kpiRows(ctx, wanted, o.granularity, from, to);
      });
      if (opts.json) printJson(rows);
      else
        for (const r of rows) {
          // A partial period's reason says what it is: 'partial month (data from 20 Apr 00:22): targets are not judged'.
          const status = r.status === 'partial' ? r.reason : r.status;
          const reason = r.reason && r.status !== 'partial' ? `: ${r.reason}` : '';
          console.log(
            `${r.period.padEnd(11)} ${r.kpi.padEnd(20)} ${String(r.formatted).padStart(12)}  ${status}${r.complete ? '' : ' (to date)'}${reason}`,
          );
        }
    });
}

function detectCommand(): Command {
  return new Command('detect')
    .description('judge alert rules and expected events for past days; open, escalate and resolve incidents, mail them')
    .option('--date <date>', 'one local date (default yesterday)')
    .option('--from <date>', 'first local date of a range')
    .option('--to <date>', 'last local date of a range')
    .option('--no-mail', 'open, escalate and resolve incidents but mail nobody (a backfill of history)')
    .action(async (o: { date?: string; from?: string; to?: string; mail: boolean }, cmd: Command) => {
      const opts = globals(cmd);
      const summary = await withContext(opts, (ctx) => {
        const { from, to } = dateRangeOption(o.date ? { from: o.date, to: o.date } : o, ctx);
        return runDetect(ctx, from, to, { mail: o.mail });
      });
      if (opts.json) printJson(summary);
      else for (const line of detectLines(summary)) console.log(line);
    });
}

/** The lines `nightshift detect` prints: the range's incident transitions in date order, then what was not judged. */
export function detectLines(
  summary: Pick<
    Awaited<ReturnType<typeof runDetect>>,
    'days' | 'unseenEvents' | 'from' | 'to' | 'open' | 'alertsSent' | 'alertsNotSent' | 'outbox'
  >,
): string[] {
  const lines = transitionsInOrder(summary.days).map((t) => `${t.period}  ${t.transition.padEnd(9)} ${t.incident}`);
  lines.push(...notJudgedLines(summary.days));
  for (const u of summary.unseenEvents) lines.push(unseenEventLine(u, summary.from, summary.to));
  const count = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
  const open = `${count(summary.open.length, 'incident')} open`;
  lines.push(
    summary.alertsNotSent === undefined
      ? `${open}; ${count(summary.alertsSent, 'alert mail')} sent (copies in ${summary.outbox})`
      : `${open}; ${count(summary.alertsNotSent, 'alert mail')} not sent (--no-mail)`,
  );
  return lines;
}

/**
 * Why a rule said nothing: periods not judged (no rollup yet, a value still pending), conditions not ready (too
 * little history), and judgements skipped because an earlier run made them. One line per incident and reason, the
 * latest period's.
 */
export function notJudgedLines(
  days: ReadonlyArray<{
    date: string;
    results: ReadonlyArray<{ incident: string; outcome: string; summary: string; period?: string; notes?: string[] }>;
  }>,
): string[] {
  const lines = new Map<string, string>();
  // Set again at the end: the lines come in the order of the periods they show.
  const set = (key: string, line: string) => {
    lines.delete(key);
    lines.set(key, line);
  };
  for (const day of days) {
    for (const r of day.results) {
      const period = r.period ?? day.date;
      // A period under a rule's volume condition is not judged; one whose conditions were not ready says so below.
      const gated = r.outcome === 'not_judged' && !r.notes?.length;
      if (r.outcome === 'not_rolled_up' || r.outcome === 'pending' || gated)
        set(`${r.incident}|${r.outcome}`, `${period}  not judged ${r.incident}: ${r.summary}`);
      for (const note of r.notes ?? [])
        set(`${r.incident}|${note.split(':')[0]}`, `${period}  not ready  ${r.incident}: ${note}`);
    }
  }
  const repeated = days.flatMap((d) => d.results).filter((r) => r.outcome === 'already_judged').length;
  if (repeated > 0) {
    lines.set(
      'already_judged',
      `${repeated} judgement${repeated === 1 ? '' : 's'} skipped: already judged by an earlier run (incidents only move forward)`,
    );
  }
  return [...lines.values()];
}

function checkBackupsCommand(): Command {
  return new Command('check-backups')
    .description('run the backup and data checks; locally only reconciliations, --aws for the backup APIs too')
    .option('--aws', 'call AWS Backup and DynamoDB backup APIs with your AWS credentials')
    .option('--only <ids>', 'comma-separated check ids')
    .action(async (o: { aws?: boolean; only?: string }, cmd: Command) => {
      const opts = globals(cmd);
      const run = await withContext(opts, (ctx) =>
        runCheckBackups(ctx, { ...(o.aws ? { aws: true } : {}), ...(o.only ? { only: o.only.split(',') } : {}) }),
      );
      if (opts.json) {
        printJson(run);
        return;
      }
      for (const r of run.results)
        console.log(`${r.status.toUpperCase().padEnd(5)} ${r.checkId.padEnd(18)} ${r.summary}`);
      const { opened, resolved, open } = run.incidents;
      for (const id of opened) console.log(`opened   ${id}`);
      for (const id of resolved) console.log(`resolved ${id}`);
      if (opened.length + resolved.length > 0 || open.length > 0) {
        console.log(`${open.length} check incident(s) open, ${run.alertsSent} alert mail(s) sent -> ${run.outbox}`);
      }
    });
}

function reportCommand(): Command {
  return new Command('report')
    .description('preview a report as HTML (--out) or send it through the local SES to its recipients (--send)')
    .argument('<name>', 'report id from the config (daily, weekly, monthly, ...)')
    .option('--date <date>', 'a local date in the period to report on (default: the period that just ended)')
    .option('--out <file>', 'write an HTML preview (charts inline) to this file')
    .option('--to <person>', "preview as this recipient (default: the report's first); with --send, only this one")
    .option('--send', 'send to the recipients through the local SES; copies go to <data>/outbox/')
    .action(async (name: string, o: ReportOptions, cmd: Command) => {
      const opts = globals(cmd);
      const result = await withContext(opts, (ctx) => reportCommandRun(ctx, name, o));
      if (opts.json) printJson(result);
    });
}

function runsCommand(): Command {
  return new Command('runs')
    .description('recent runs of the nightly jobs: start, status, duration, what they processed, errors')
    .option('--job <name>', `one job (${JOBS.join(', ')})`)
    .option('--limit <n>', 'runs per job', '10')
    .action(async (o: { job?: string; limit: string }, cmd: Command) => {
      const opts = globals(cmd);
      const jobs = o.job ? parseJobNames(o.job, '--job') : [...JOBS];
      const runs = await withContext(opts, async (ctx) =>
        (await Promise.all(jobs.map((j) => recentRuns(ctx.store, j, Number(o.limit))))).flat(),
      );
      runs.sort((a, b) => b.startedAt.localeCompare(a.startedAt));
      if (opts.json) printJson(runs);
      else if (runs.length === 0) console.log('no job runs recorded yet');
      else {
        for (const r of runs) {
          const took = r.durationMs === undefined ? '' : `${(r.durationMs / 1000).toFixed(1)} s`;
          console.log(
            `${r.startedAt}  ${r.job.padEnd(13)} ${r.status.padEnd(8)} ${took.padStart(8)}  ${r.error ?? jsonLine(r.summary ?? {}).slice(0, 100)}`,
          );
        }
      }
    });
}

function watchdogCommand(): Command {
  return new Command('watchdog')
    .description(
      "judge each scheduled job's latest due run and the events queue; open and resolve incidents, mail them",
    )
    .option('--at <instant>', 'judge as of this instant (ISO 8601 with offset, e.g. 2026-11-23T03:45+08:00)')
    .option('--jobs <names>', `comma-separated jobs expected to run (default all: ${JOBS.join(', ')})`)
    .action(async (o: { at?: string; jobs?: string }, cmd: Command) => {
      const opts = globals(cmd);
      const at = o.at === undefined ? undefined : parseInstant(o.at);
      const jobs = o.jobs === undefined ? undefined : parseJobList(o.jobs);
      const run = await withContext(opts, (ctx) =>
        runWatchdog(at === undefined ? ctx : { ...ctx, now: () => at }, jobs ? { jobs } : {}),
      );
      if (opts.json) printJson(run);
      else for (const line of watchdogLines(run)) console.log(line);
    });
}

function inboxCommand(): Command {
  return new Command('inbox')
    .description('serve the mails in <data>/outbox in a local SES web inbox until Ctrl-C')
    .option('--port <n>', 'port of the inbox', '8005')
    .action(async (o: { port: string }, cmd: Command) => {
      await serveInbox(resolve(globals(cmd).data), Number(o.port));
    });
}

function configReferenceCommand(): Command {
  return new Command('config-reference')
    .description("print the config reference generated from the schema, or rewrite the README's section")
    .option('--write <file>', 'replace the generated section of this markdown file')
    .action((o: { write?: string }) => {
      if (!o.write) {
        console.log(configReference());
        return;
      }
      const text = readInputFile(o.write);
      const start = text.indexOf(REFERENCE_START);
      const end = text.indexOf(REFERENCE_END);
      if (start < 0 || end < start)
        throw new Error(`${o.write} has no ${REFERENCE_START} ... ${REFERENCE_END} section`);
      writeFileSync(
        o.write,
        `${text.slice(0, start + REFERENCE_START.length)}\n${configReference()}\n${text.slice(end)}`,
      );
      console.log(`updated the configuration reference in ${o.write}`);
    });
}

function demoCommand(): Command {
  return new Command('demo')
    .description('run the night on this machine against a local DynamoDB and a local SES inbox')
    .option('--persist', 'keep the demo state on disk under <data>/demo (slower) to explore it afterwards')
    .action(async (o: { persist?: boolean }, cmd: Command) => {
      await runDemo({ ...globals(cmd), ...(o.persist ? { persist: true } : {}) });
    });
}

function dateRangeOption(o: { from?: string; to?: string }, ctx: CommandContext): { from: string; to: string } {
  const fallback = yesterday(ctx.now(), ctx.config.timeZone);
  const from = parseLocalDate(o.from ?? o.to ?? fallback);
  const to = parseLocalDate(o.to ?? (o.from ? fallback : from));
  if (from > to) throw new Error(`--from ${from} is after --to ${to}`);
  return { from, to };
}

const minDate = (a: string, b: string) => (a < b ? a : b);

/** What `nightshift ingest` reports: its batches' results summed, with what the files and the store add. */
export interface IngestSummary extends IngestResult {
  /** Blank lines of the files: skipped, neither stored nor quarantined. */
  blankLines: number;
  /**
   * Of `lateDays`, those no rollup has counted yet (a history loaded for the first time): not late, only not rolled
   * up yet. They are marked all the same, so the nightly rollup reads them.
   */
  notRolledUp: string[];
}

/** The days among `days` whose figures no rollup has written. */
async function notRolledUp(ctx: CommandContext, days: readonly string[]): Promise<string[]> {
  if (days.length === 0) return [];
  const counted = new Set((await readDayFigures(ctx.store, days[0]!, days.at(-1)!)).map((f) => f.day));
  return days.filter((d) => !counted.has(d));
}

function printIngest(r: IngestSummary, json: boolean): void {
  if (json) {
    printJson({
      accepted: r.accepted,
      duplicates: r.duplicates,
      blankLines: r.blankLines,
      rejected: r.rejected.length,
      rejectedByReason: rejectedByReason(r),
      // Every line quarantined, with its file and line number: `rejected` counts them.
      rejectedLines: r.rejected.map((x) => ({ source: x.id, ...fileLineOf(x.id), reason: x.reason, detail: x.detail })),
      failed: r.failed.length,
      lateDays: r.lateDays,
      notRolledUp: r.notRolledUp,
    });
    return;
  }
  for (const line of ingestLines(r)) console.log(line);
}

function rejectedByReason(r: IngestResult): Record<string, number> {
  const byReason: Record<string, number> = {};
  for (const x of r.rejected) byReason[x.reason] = (byReason[x.reason] ?? 0) + 1;
  return byReason;
}

/** Rejected lines `nightshift ingest` lists one by one; `nightshift quarantine` (or `--json`) lists every one. */
export const LISTED_REJECTIONS = 20;

/**
 * The lines `nightshift ingest` prints: stored, lines that reused another event's messageId (apart from duplicates),
 * blank lines skipped, rejected (by reason, then line by line), late days, days not rolled up yet, failures.
 */
export function ingestLines(r: IngestResult & Partial<Pick<IngestSummary, 'blankLines' | 'notRolledUp'>>): string[] {
  const out = [`stored ${r.accepted} unique events (${r.duplicates} duplicates in the input stored once)`];
  const reused = r.rejected.filter((x) => x.reason === 'reused_message_id');
  if (reused.length) {
    const [lines, these] = reused.length === 1 ? ['1 line', 'this one'] : [`${reused.length} lines`, 'these'];
    out.push(
      `${lines} reused the messageId of a different event: kept the first, quarantined ${these} with reason reused_message_id:`,
    );
    for (const x of reused.slice(0, LISTED_REJECTIONS)) out.push(`  ${x.id}: ${x.detail}`);
    if (reused.length > LISTED_REJECTIONS) {
      out.push(
        `  and ${reused.length - LISTED_REJECTIONS} more: nightshift quarantine --reason reused_message_id lists them`,
      );
    }
  }
  if (r.blankLines) out.push(`skipped ${r.blankLines} blank line${r.blankLines === 1 ? '' : 's'}`);
  out.push(`rejected ${r.rejected.length}${r.rejected.length ? ' (kept in quarantine):' : ''}`);
  for (const [reason, n] of Object.entries(rejectedByReason(r))) out.push(`  ${reason}: ${n}`);
  const others = r.rejected.filter((x) => x.reason !== 'reused_message_id');
  for (const x of others.slice(0, LISTED_REJECTIONS)) out.push(`  ${x.id} ${x.reason}: ${x.detail}`);
  if (others.length > LISTED_REJECTIONS) {
    out.push(
      `  and ${others.length - LISTED_REJECTIONS} more: nightshift quarantine lists every line with its file, line number and reason`,
    );
  }
  const fresh = new Set(r.notRolledUp ?? []);
  const late = r.lateDays.filter((d) => !fresh.has(d));
  if (late.length) out.push(`late events for ${dateList(late)}: marked for recomputation`);
  if (fresh.size) {
    const days = [...fresh];
    out.push(
      `events for ${dateList(days)}: not rolled up yet, marked for the nightly rollup (or now: nightshift rollup --from ${days[0]} --to ${days.at(-1)})`,
    );
  }
  if (r.failed.length) out.push(`FAILED to store ${r.failed.length} messages; run again to retry them`);
  return out;
}

/** At most this many dates are listed one by one; more are summed up (`dateList`). */
export const LISTED_DATES = 5;

/**
 * Sorted dates for a line of output: a few are listed ('2026-11-20, 2026-11-21'); more are counted, with the first and
 * the last ('81 days, 2026-09-09 … 2026-11-28'), so a long history's ingest does not print a screenful of them.
 */
export function dateList(dates: readonly string[]): string {
  if (dates.length <= LISTED_DATES) return dates.join(', ');
  return `${dates.length} days, ${dates[0]} … ${dates.at(-1)}`;
}

function printConfigError(error: ConfigError): void {
  console.error(`${error.source} is not a valid Nightshift config:`);
  for (const p of error.problems) console.error(`  ${formatProblem(p)}`);
}

/**
 * Runs the CLI; config problems print as path-named lines and exit 1. With `--json` a failure also prints one JSON
 * document on stdout (`errorJson`), as a success does; that includes commander's own argument errors, whose text
 * (and where the help is) commander has already written to stderr.
 */
export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and --version end here too, with exit code 0 and nothing to add.
      if (error.exitCode !== 0 && jsonRequested(program, argv)) printJson(errorJson(error));
      process.exitCode = error.exitCode;
      return;
    }
    if (error instanceof ConfigError) printConfigError(error);
    else console.error(`nightshift: ${error instanceof Error ? error.message : String(error)}`);
    if (jsonRequested(program, argv)) printJson(errorJson(error));
    process.exitCode = 1;
  }
}

/**
 * Whether the command line asks for JSON. Commander may stop at a bad argument before it reads a later `--json`
 * (`nightshift --now soon --json`), so the arguments themselves are looked at too, up to a `--`.
 */
export function jsonRequested(program: Command, argv: readonly string[]): boolean {
  if ((program.opts() as GlobalOptions).json) return true;
  const args = argv.slice(2);
  const end = args.indexOf('--');
  return (end < 0 ? args : args.slice(0, end)).includes('--json');
}
