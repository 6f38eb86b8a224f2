// The last night of a month at N events a day, for bench:ingest: 29 days of generated traffic summarized (cached
// under bench-output/, as the nightly rollups of those days would have stored them), the 30th day's events stored in
// DynamoDB through the real ingest path, and the exact month figures the rollup must reproduce, counted here
// independently from the generated events. Then the measured night: nightlyRollup reads the 30th, archives it to S3,
// and merges the month, its weeks and days from the 30 summaries.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ObjectArchive } from '#shared/archive/archive.ts';
import type { NightshiftConfig } from '#shared/config/schema.ts';
import { parseEventBody } from '#shared/events/envelope.ts';
import { ingestMessages } from '#shared/events/ingest.ts';
import { readKpiValues } from '#shared/kpi/kpi-store.ts';
import { configInputs, nightlyRollup } from '#shared/kpi/rollup.ts';
import { DaySummarizer, decodeSummary, encodeSummary, SUMMARY_VERSION } from '#shared/kpi/summary.ts';
import { saveDaySummary } from '#shared/kpi/summary-store.ts';
import type { StateStore } from '#shared/store/store.ts';
import { dateRange, zonedInstant } from '#shared/time/calendar.ts';
import { GENERATOR_VERSION, generateStream } from './events.ts';

export const MONTH = '2026-11';
export const MONTH_DAYS = dateRange('2026-11-01', '2026-11-30');
export const LAST_DAY = '2026-11-30';
const seedOf = (i: number) => 1000 + i;

/** Figures counted from the generated events, not by Nightshift: what the month-end rollup must reproduce. */
export interface MonthExpected {
  lastDay: { events: number; distinctUsers: number; signedUp: number };
  /** Distinct users who signed up in the month, distinct users who viewed a page, orders. */
  month: { newUsers: number; viewers: number; orders: number };
}

export interface MonthFiles {
  dir: string;
  expected: MonthExpected;
  /** Compressed summary bytes of each of the 29 days. */
  summaryBytes: number[];
  reused: boolean;
}

/** Generates and summarizes the month's first 29 days (once per N and generator; cached), counting the expected figures. */
export function prepareMonthFiles(
  config: NightshiftConfig,
  events: number,
  cacheRoot: string,
  progress: (message: string) => void,
): MonthFiles {
  const inputs = configInputs(config);
  const key = `month-${events}-g${GENERATOR_VERSION}-s${SUMMARY_VERSION}-${inputs.length}`;
  const dir = join(cacheRoot, key);
  const expectedFile = join(dir, 'expected.json');
  const sizes = () => MONTH_DAYS.slice(0, -1).map((d) => readFileSync(join(dir, `${d}.zst`)).length);
  if (existsSync(expectedFile)) {
    return {
      dir,
      expected: JSON.parse(readFileSync(expectedFile, 'utf8')) as MonthExpected,
      summaryBytes: sizes(),
      reused: true,
    };
  }
  mkdirSync(dir, { recursive: true });
  const newUsers = new Set<string>();
  const viewers = new Set<string>();
  let orders = 0;
  let lastDay: MonthExpected['lastDay'] | undefined;
  const options = { timeZone: config.timeZone, maxBytes: config.ingest.maxEventBytes };
  MONTH_DAYS.forEach((day, i) => {
    const stream = generateStream({ day, timeZone: config.timeZone, events, seed: seedOf(i) });
    const summarizer = day === LAST_DAY ? undefined : new DaySummarizer(day, inputs);
    for (const body of stream.bodies) {
      const parsed = parseEventBody(body, options);
      if (!parsed.ok) throw new Error(`generated event rejected: ${parsed.detail}`);
      const e = parsed.event;
      summarizer?.add(e);
      if (e.userId === undefined) continue;
      if (e.event === 'Signed Up') newUsers.add(e.userId);
      else if (e.event === 'Page Viewed') viewers.add(e.userId);
      else if (e.event === 'Order Completed') orders++;
    }
    if (summarizer) writeFileSync(join(dir, `${day}.zst`), encodeSummary(summarizer.summary()));
    else
      lastDay = {
        events: stream.stats.events,
        distinctUsers: stream.stats.distinctUsers,
        signedUp: stream.stats.signedUp,
      };
    progress(
      `  ${day}: ${stream.stats.events.toLocaleString('en-US')} events generated${summarizer ? ' and summarized' : ''}`,
    );
  });
  const expected: MonthExpected = {
    lastDay: lastDay!,
    month: { newUsers: newUsers.size, viewers: viewers.size, orders },
  };
  writeFileSync(expectedFile, JSON.stringify(expected));
  return { dir, expected, summaryBytes: sizes(), reused: false };
}

/**
 * Stores the 29 summaries and ingests the 30th day (its messages in batches of `batch`, `writers` at a time) as
 * they arrive during that day: nothing is late.
 */
export async function loadMonth(
  store: StateStore,
  config: NightshiftConfig,
  files: MonthFiles,
  events: number,
  batch: number,
  writers: number,
): Promise<{ stored: number }> {
  for (const day of MONTH_DAYS.slice(0, -1)) {
    await saveDaySummary(store, decodeSummary(readFileSync(join(files.dir, `${day}.zst`))));
  }
  const stream = generateStream({
    day: LAST_DAY,
    timeZone: config.timeZone,
    events,
    seed: seedOf(MONTH_DAYS.length - 1),
  });
  const arrival = zonedInstant(LAST_DAY, '23:59', config.timeZone);
  let next = 0;
  let stored = 0;
  await Promise.all(
    Array.from({ length: writers }, async () => {
      for (let i = next; i < stream.bodies.length; i = next) {
        next += batch;
        const messages = stream.bodies.slice(i, i + batch).map((body, k) => ({ id: `m${i + k}`, body }));
        const r = await ingestMessages(messages, { store, config, now: () => arrival });
        if (r.failed.length > 0 || r.rejected.length > 0) throw new Error('loading the last day failed');
        stored += r.accepted;
      }
    }),
  );
  return { stored };
}

export interface MonthEndResult {
  cpuSeconds: number;
  /** CPU until the day was read, summarized and archived; the rest is the merge and the stores of values. */
  dayCpuSeconds: number;
  mergeCpuSeconds: number;
  wallSeconds: number;
  peakRssMB: number;
  baselineRssMB: number;
  readUnits: number;
  writeUnits: number;
  archive: ReturnType<ObjectArchive['usage']>;
  daysRead: number;
  daysMerged: number;
  eventsRead: number;
  values: number;
  got: {
    lastDay: { dau: number | null; newUsers: number | null };
    month: { newUsers: number | null; viewers: number | null; orders: number | null };
  };
}

/** The measured night: 00:30 on the 1st of the next month. */
export async function runMonthEnd(
  store: StateStore & { usage(): { readUnits: number; writeUnits: number } },
  archive: ObjectArchive,
  config: NightshiftConfig,
): Promise<MonthEndResult> {
  const baselineRss = process.memoryUsage().rss;
  let peakRss = baselineRss;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 20);
  const now = zonedInstant('2026-12-01', '00:30', config.timeZone);
  const cpu = process.cpuUsage();
  let dayCpu = 0;
  const started = performance.now();
  const summary = await nightlyRollup({
    store,
    config,
    archive,
    now: () => now,
    onDayRead: (day) => {
      if (day === LAST_DAY) {
        const c = process.cpuUsage(cpu);
        dayCpu = (c.user + c.system) / 1e6;
      }
    },
  });
  const used = process.cpuUsage(cpu);
  const wallSeconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  peakRss = Math.max(peakRss, process.memoryUsage().rss, process.resourceUsage().maxRSS * 1024);
  const cpuSeconds = (used.user + used.system) / 1e6;
  const usage = store.usage();
  const one = async (kpi: string, g: 'day' | 'month', period: string) =>
    (await readKpiValues(store, kpi, g, period, period))[0];
  const conversion = await one('conversion_rate', 'month', MONTH);
  return {
    cpuSeconds,
    dayCpuSeconds: dayCpu,
    mergeCpuSeconds: cpuSeconds - dayCpu,
    wallSeconds,
    peakRssMB: peakRss / 2 ** 20,
    baselineRssMB: baselineRss / 2 ** 20,
    readUnits: usage.readUnits,
    writeUnits: usage.writeUnits,
    archive: archive.usage(),
    daysRead: summary.daysRead,
    daysMerged: summary.daysMerged,
    eventsRead: summary.eventsRead,
    values: summary.values,
    got: {
      lastDay: {
        dau: (await one('dau', 'day', LAST_DAY))?.value ?? null,
        newUsers: (await one('new_users', 'day', LAST_DAY))?.value ?? null,
      },
      month: {
        newUsers: (await one('new_users', 'month', MONTH))?.value ?? null,
        viewers: conversion?.inputs['distinct(userId of "Page Viewed")'] ?? null,
        orders: conversion?.inputs['count("Order Completed")'] ?? null,
      },
    },
  };
}

/** Whether the night reproduced every independently counted figure. */
export function monthEndExact(r: MonthEndResult, expected: MonthExpected): Record<string, boolean> {
  return {
    eventsRead: r.eventsRead === expected.lastDay.events,
    dau: r.got.lastDay.dau === expected.lastDay.distinctUsers,
    newUsers: r.got.lastDay.newUsers === expected.lastDay.signedUp,
    monthNewUsers: r.got.month.newUsers === expected.month.newUsers,
    monthViewers: r.got.month.viewers === expected.month.viewers,
    monthOrders: r.got.month.orders === expected.month.orders,
  };
}
