// Check results in the state table, with history: one item per check and run (pk CHECK#<checkId>, sk the run's
// ISO time) for trends, and one per check and night (pk CHECKS#<local date>, sk checkId) that the daily report
// reads with a single query. A second run in the same night overwrites the night's entry, not the history.
import type { StateStore } from '#shared/store/store.ts';
import { type LocalDate, localDate } from '#shared/time/calendar.ts';
import { type CheckProblemKind, type CheckResult, DAY_MS, problemKindOf } from './result.ts';

export interface StoredCheckResult extends CheckResult {
  /** When the run started, ISO 8601 UTC. */
  at: string;
  /** The run's local date in the configured time zone: the night it belongs to. */
  date: LocalDate;
  /** Response plan named by the check's config, if any; otherwise the plan that handles `problem`. */
  plan?: string;
  /** Problem kind for incident routing. */
  problem: CheckProblemKind;
}

export interface SaveOptions {
  /** Epoch ms of the run. */
  at: number;
  timeZone: string;
  /** Response plan per check id, from the config. */
  plans?: Record<string, string | undefined>;
  /** History kept this long (TTL), default 400 days. */
  retentionDays?: number;
}

const HISTORY = 'CHECK#';
const NIGHT = 'CHECKS#';

export async function saveCheckResults(
  store: StateStore,
  results: readonly CheckResult[],
  options: SaveOptions,
): Promise<StoredCheckResult[]> {
  const at = new Date(options.at).toISOString();
  const date = localDate(options.at, options.timeZone);
  const ttl = Math.floor((options.at + (options.retentionDays ?? 400) * DAY_MS) / 1000);
  const stored = results.map((r): StoredCheckResult => {
    const plan = options.plans?.[r.checkId];
    return { ...r, at, date, problem: problemKindOf(r.kind), ...(plan ? { plan } : {}) };
  });
  await store.putMany(
    'state',
    stored.flatMap((r) => [
      { ...r, pk: `${HISTORY}${r.checkId}`, sk: at, ttl },
      { ...r, pk: `${NIGHT}${date}`, sk: r.checkId, ttl },
    ]),
  );
  return stored;
}

/** The results of one night (the latest run of each check that night), by check id. */
export async function nightResults(store: StateStore, date: LocalDate): Promise<StoredCheckResult[]> {
  const out: StoredCheckResult[] = [];
  for await (const item of store.query('state', `${NIGHT}${date}`)) out.push(strip(item));
  return out;
}

/** A check's runs, newest first. */
export async function checkHistory(
  store: StateStore,
  checkId: string,
  options: { limit?: number; from?: string; to?: string } = {},
): Promise<StoredCheckResult[]> {
  const out: StoredCheckResult[] = [];
  for await (const item of store.query('state', `${HISTORY}${checkId}`, { ...options, newestFirst: true })) {
    out.push(strip(item));
  }
  return out;
}

function strip(item: Record<string, unknown>): StoredCheckResult {
  const { pk: _pk, sk: _sk, ttl: _ttl, ...rest } = item;
  return rest as unknown as StoredCheckResult;
}
