// `nightshift quarantine`: every line kept in quarantine, with the file and line (or the request) it came from and
// its reason, so a rejected line is found and fixed, not only counted.
import { Command, Option } from 'commander';
import { REJECT_REASONS, type RejectReason } from '#shared/events/envelope.ts';
import { type QuarantinedLine, quarantinedLines } from '#shared/events/events-store.ts';
import { fileLineOf } from '#shared/events/files.ts';
import { addDays, dateRange, localDate, parseLocalDate } from '#shared/time/calendar.ts';
import { type GlobalOptions, withContext } from './context.ts';
import { printJson } from './json.ts';

/** Characters of a line's body the text output shows. */
const BODY_SHOWN = 160;

export function quarantineCommand(): Command {
  return new Command('quarantine')
    .description(
      'list the lines kept in quarantine: file and line (or request), reason and the line itself, by the day they were sent',
    )
    .option('--from <date>', 'first local date they were sent (YYYY-MM-DD); default: as far back as they are kept')
    .option('--to <date>', 'last local date they were sent (YYYY-MM-DD); default today')
    .addOption(new Option('--reason <reason>', 'only lines quarantined for this reason').choices(REJECT_REASONS))
    .action(async (o: { from?: string; to?: string; reason?: RejectReason }, cmd: Command) => {
      const opts = cmd.optsWithGlobals() as GlobalOptions;
      const listing = await withContext(opts, async (ctx) => {
        const today = localDate(ctx.now(), ctx.config.timeZone);
        const to = parseLocalDate(o.to ?? today);
        // A line is kept quarantineRetentionDays after it was sent: older days hold nothing any more.
        const from = parseLocalDate(o.from ?? addDays(to, -ctx.config.ingest.quarantineRetentionDays));
        if (from > to) throw new Error(`--from ${from} is after --to ${to}`);
        const lines = (await quarantinedLines(ctx.store, dateRange(from, to))).filter(
          (l) => o.reason === undefined || l.reason === o.reason,
        );
        return { from, to, lines };
      });
      if (opts.json) printJson(quarantineJson(listing));
      else for (const line of quarantineLines(listing)) console.log(line);
    });
}

export interface QuarantineListing {
  from: string;
  to: string;
  lines: QuarantinedLine[];
}

/** What `--json` prints: the range, the count by reason, and every line with its file and line number when it has one. */
export function quarantineJson(l: QuarantineListing) {
  return {
    from: l.from,
    to: l.to,
    quarantined: l.lines.length,
    byReason: byReason(l.lines),
    lines: l.lines.map((q) => ({
      sentDay: q.sentDay,
      source: q.source,
      ...fileLineOf(q.source),
      reason: q.reason,
      detail: q.detail,
      body: q.body,
      truncated: q.truncated,
      sentAt: new Date(q.sentAt).toISOString(),
    })),
  };
}

/** The text output: a count by reason, then each line under the day it was sent, with its reason and body. */
export function quarantineLines(l: QuarantineListing): string[] {
  const range = l.from === l.to ? `on ${l.from}` : `${l.from} … ${l.to}`;
  if (l.lines.length === 0) return [`no lines in quarantine sent ${range}`];
  const reasons = Object.entries(byReason(l.lines))
    .map(([reason, n]) => `${n} ${reason}`)
    .join(', ');
  const out = [`${l.lines.length} line${l.lines.length === 1 ? '' : 's'} in quarantine sent ${range}: ${reasons}`];
  let day = '';
  for (const q of l.lines) {
    if (q.sentDay !== day) {
      day = q.sentDay;
      out.push(`sent ${day}:`);
    }
    out.push(`  ${q.source || '(no source)'}  ${q.reason}: ${q.detail}`);
    out.push(`    ${shownBody(q)}`);
  }
  return out;
}

function byReason(lines: readonly QuarantinedLine[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const q of lines) out[q.reason] = (out[q.reason] ?? 0) + 1;
  return out;
}

/** The body on one line: control characters escaped, cut to BODY_SHOWN characters. */
function shownBody(q: QuarantinedLine): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it escapes
  const flat = q.body.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  if (flat === '') return '(empty)';
  return flat.length > BODY_SHOWN || q.truncated ? `${flat.slice(0, BODY_SHOWN)}…` : flat;
}
