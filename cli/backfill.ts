// `nightshift backfill --kpi ID --from DATE`: recomputes past days exactly from the raw event archive (and the
// events DynamoDB still holds) and stores every day, week and month touching them: how a new or changed KPI gets its
// history. The backfill-kpis function runs the same code in AWS.
import { Command, InvalidArgumentError } from 'commander';
import { eventNoteLine, propertyNoteLine } from '#shared/kpi/property-reads.ts';
import { backfill } from '#shared/kpi/rollup.ts';
import { unreadNoteLines } from '#shared/kpi/unread-names.ts';
import { dateRange, parseLocalDate, yesterday } from '#shared/time/calendar.ts';
import { type GlobalOptions, withContext } from './context.ts';
import { printJson } from './json.ts';
import { progress } from './progress.ts';

const localDate = (value: string) => {
  try {
    return parseLocalDate(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
};

export function backfillCommand(): Command {
  return new Command('backfill')
    .description('recompute past days exactly from the raw event archive, and every period touching them')
    .requiredOption('--from <date>', 'first local date (YYYY-MM-DD)', localDate)
    .option('--to <date>', 'last local date (YYYY-MM-DD); default yesterday', localDate)
    .option('--kpi <ids>', 'comma-separated KPI ids it is for (default all); every KPI of those periods is stored')
    .action(async (o: { from: string; to?: string; kpi?: string }, cmd: Command) => {
      const opts = cmd.optsWithGlobals() as GlobalOptions;
      const summary = await withContext(opts, async (ctx) => {
        const last = o.to ?? yesterday(ctx.now(), ctx.config.timeZone);
        const bar = progress('backfill', o.from <= last ? dateRange(o.from, last).length : 0);
        const result = await backfill(
          {
            store: ctx.store,
            config: ctx.config,
            now: ctx.now,
            archive: await ctx.openArchive(),
            onDayRead: () => bar.tick(),
          },
          {
            from: o.from,
            ...(o.to ? { to: o.to } : {}),
            ...(o.kpi ? { kpis: o.kpi.split(',').map((k) => k.trim()) } : {}),
          },
        );
        bar.done();
        return result;
      });
      if (opts.json) printJson(summary);
      else
        console.log(
          `backfilled ${summary.kpis.join(', ')} from ${summary.from} to ${summary.to}: ${summary.daysRead} days read again (${summary.eventsRead} events) from the archive, ${summary.values} values stored over ${summary.periods.length} periods`,
        );
      for (const note of summary.eventNotes) console.error(eventNoteLine(note));
      for (const note of summary.propertyNotes) console.error(propertyNoteLine(note));
      for (const line of unreadNoteLines(summary.unread, summary.eventNotes, summary.propertyNotes))
        console.error(line);
    });
}
