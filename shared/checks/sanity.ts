// Content sanity of a backup: a backup that exists can still be a failed backup. It must not be empty, must not
// have shrunk by more than the configured share against the previous backup or against the live table, and the
// job must not have finished suspiciously fast. The same rules serve on-demand backups and AWS Backup.
import { type Findings, round } from './result.ts';

/** What is known of a backup's content; AWS Backup reports bytes only, DynamoDB backups also an item count. */
export interface ContentSize {
  items?: number | undefined;
  bytes?: number | undefined;
}

export interface SanityInput {
  backup: ContentSize;
  previous?: ContentSize | undefined;
  /** From DescribeTable, which DynamoDB refreshes about every six hours: an estimate, not a count. */
  live?: ContentSize | undefined;
  maxShrinkPct: number;
  /** Job duration, when known, and the configured minimum (0: no minimum). */
  durationSeconds?: number | undefined;
  minDurationSeconds?: number | undefined;
}

/** Records failures, warnings and figures for the content of a backup. */
export function checkContent(findings: Findings, input: SanityInput): void {
  const { backup, previous, live, maxShrinkPct } = input;
  const measure = pickMeasure(backup, previous, live);
  findings.set({
    backupItems: backup.items,
    backupBytes: backup.bytes,
    previousBackupItems: previous?.items,
    previousBackupBytes: previous?.bytes,
    liveItems: live?.items,
    liveBytes: live?.bytes,
  });

  const current = backup[measure];
  const liveValue = live?.[measure];
  const previousValue = previous?.[measure];
  if (backup.items === 0 || backup.bytes === 0) {
    const elsewhere = Math.max(liveValue ?? 0, previousValue ?? 0);
    if (elsewhere > 0) findings.fail(`backup is empty while the ${previousValue ? 'previous backup' : 'table'} is not`);
    else findings.warn('backup is empty, and so is the table');
    return;
  }
  if (current === undefined) {
    findings.warn('backup size is not reported, so its content could not be compared');
  } else {
    const unit = measure === 'items' ? 'items' : 'bytes';
    if (previousValue !== undefined && previousValue > 0) {
      const shrinkPct = ((previousValue - current) / previousValue) * 100;
      findings.set({ shrinkVsPreviousPct: round(shrinkPct, 1) });
      if (shrinkPct > maxShrinkPct) {
        findings.fail(
          `backup shrank ${round(shrinkPct, 1)}% against the previous one (${previousValue} -> ${current} ${unit}; limit ${maxShrinkPct}%)`,
        );
      }
    }
    if (liveValue !== undefined && liveValue > 0) {
      const shortPct = ((liveValue - current) / liveValue) * 100;
      findings.set({ shrinkVsLivePct: round(shortPct, 1) });
      if (shortPct > maxShrinkPct) {
        findings.fail(
          `backup is ${round(shortPct, 1)}% smaller than the live table (${current} vs ${liveValue} ${unit}; limit ${maxShrinkPct}%)`,
        );
      } else if (((current - liveValue) / current) * 100 > maxShrinkPct) {
        // The live table holds far less than its own backup: not a backup failure, but possibly a mass deletion.
        findings.warn(`live table is much smaller than its newest backup (${liveValue} vs ${current} ${unit})`);
      }
    }
  }

  const { durationSeconds, minDurationSeconds = 0 } = input;
  if (durationSeconds !== undefined) {
    findings.set({ durationSeconds: round(durationSeconds, 1) });
    if (minDurationSeconds > 0 && durationSeconds < minDurationSeconds) {
      findings.fail(
        `backup job finished in ${round(durationSeconds, 1)} s, faster than the ${minDurationSeconds} s expected of this table`,
      );
    }
  }
}

/** Items when both sides of a comparison report them (an exact measure), bytes otherwise. */
function pickMeasure(backup: ContentSize, previous?: ContentSize, live?: ContentSize): 'items' | 'bytes' {
  if (backup.items === undefined) return 'bytes';
  if (backup.bytes === undefined) return 'items';
  const others = [previous, live].filter((x): x is ContentSize => x !== undefined);
  return others.every((o) => o.items !== undefined) ? 'items' : 'bytes';
}
