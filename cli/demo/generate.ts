// Realistic weeks of events for the example config: weekday pattern, growth, a sign-up outage and a conversion
// collapse, plus the mess real pipelines see (duplicates, late arrivals, malformed lines). Seeded: same input, same data.
import { addDays, dateRange, dayRange, isoWeekday } from '#shared/time/calendar.ts';

export interface DemoOptions {
  /** Last local day of data (the night the demo runs is the day after). */
  lastDay: string;
  days: number;
  timeZone: string;
  seed?: number;
  /**
   * Also generate the events of the night after lastDay up to this instant (epoch ms): the stream that keeps
   * arriving while the night's jobs run. Returned apart, in time order, as `live`.
   */
  liveUntil?: number;
}

/** Problems planted in the data, which detection must find (and nothing on normal days). */
export interface PlantedIncident {
  kind: 'signup_outage' | 'conversion_collapse';
  kpi: string;
  days: string[];
  description: string;
}

export interface DemoData {
  /** One JSON object (or broken text) per line, in arrival order. */
  lines: string[];
  incidents: PlantedIncident[];
  /** Counts of `lines` (the live events are not in them). */
  counts: { events: number; duplicates: number; late: number; malformed: number };
  days: string[];
  /** Events of the night after lastDay up to `liveUntil`, oldest first, with the instant each happened. */
  live: Array<{ at: number; line: string }>;
}

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const OFFSETS = ['+08:00', '+08:00', '+08:00', 'Z', '-08:00', '+01:00'];

export function generateDemoEvents(options: DemoOptions): DemoData {
  const rand = mulberry32(options.seed ?? 20261122);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const days = dateRange(addDays(options.lastDay, -(options.days - 1)), options.lastDay);
  const outageDay = addDays(options.lastDay, -6);
  const collapseDays = [addDays(options.lastDay, -1), options.lastDay];
  const lines: string[] = [];
  const late: string[] = [];
  let seq = 0;
  let duplicates = 0;
  const users: string[] = [];
  const signedUpOn = new Map<string, string[]>();

  const nightDay = addDays(options.lastDay, 1);
  // Days are 23 or 25 hours long across a daylight-saving change: events fill the whole local day.
  const dayRanges = new Map([...days, nightDay].map((d) => [d, dayRange(d, options.timeZone)]));
  /** Set while the night after lastDay is generated: its events go here, each once and on time. */
  let live: DemoData['live'] | undefined;
  const emit = (event: string, userId: string, day: string, props: Record<string, unknown>) => {
    const messageId = `demo-${(++seq).toString(36)}`;
    const { start, end } = dayRanges.get(day)!;
    const at = start + Math.floor(rand() * (end - start));
    const line = JSON.stringify({
      messageId,
      event,
      userId,
      timestamp: formatWithOffset(at, pick(OFFSETS)),
      properties: props,
    });
    if (live) {
      if (at <= options.liveUntil!) live.push({ at, line });
      return;
    }
    // A small share of events arrives days late (an app that was offline), after the rest has been loaded.
    if (rand() < 0.004 && day < addDays(options.lastDay, -5)) late.push(line);
    else lines.push(line);
    if (rand() < 0.01) {
      lines.push(line); // at-least-once delivery: the same message twice
      duplicates++;
    }
  };

  const simulateDay = (day: string, i: number) => {
    const weekend = isoWeekday(day) >= 6;
    const growth = 1 + i * 0.006;
    const noise = () => 0.93 + rand() * 0.14;
    let signups = Math.round((weekend ? 470 : 560) * growth * noise());
    if (day === outageDay) signups = Math.round(signups * 0.18); // sign-up service down most of the day
    const converting = collapseDays.includes(day) ? 0.012 : 0.038; // checkout broken on the last two days

    const todays: string[] = [];
    for (let n = 0; n < signups; n++) {
      const u = `u_${(users.length + 1).toString().padStart(6, '0')}`;
      users.push(u);
      todays.push(u);
      emit('Signed Up', u, day, { channel: pick(['ads', 'organic', 'referral']) });
    }
    signedUpOn.set(day, todays);

    // Active users: today's sign-ups, ~34% of yesterday's, and a slice of everyone earlier.
    const active = new Set(todays);
    for (const u of signedUpOn.get(addDays(day, -1)) ?? []) if (rand() < 0.34) active.add(u);
    const returning = Math.round((weekend ? 450 : 600) * growth * noise());
    for (let n = 0; n < returning && users.length > 0; n++) active.add(users[Math.floor(rand() * users.length)]!);

    for (const u of active) {
      const views = 1 + Math.floor(rand() * 1.6);
      for (let v = 0; v < views; v++) {
        const content = rand() < 0.45;
        emit('Page Viewed', u, day, {
          section: content ? 'content' : 'shop',
          department: content ? 'content' : 'market',
        });
      }
      if (rand() < converting) {
        const revenue = Math.round((40 + rand() * 260) * 100) / 100;
        emit('Order Completed', u, day, {
          orderId: `o_${seq}`,
          revenue,
          profit: Math.round(revenue * (0.25 + rand() * 0.15) * 100) / 100,
          department: rand() < 0.8 ? 'market' : 'content',
        });
      }
      if (rand() < 0.02) emit('Survey Answered', u, day, { score: surveyScore(rand()) });
    }
    emit('Marketing Spend', 'marketing', day, { amount: Math.round(520 * noise()), department: 'market' });
    emit('Marketing Spend', 'marketing', day, { amount: Math.round(130 * noise()), department: 'content' });
  };
  days.forEach(simulateDay);
  const events = seq;
  // The night after: a normal day's activity (checkout fixed), of which only what happened by `liveUntil`.
  if (options.liveUntil !== undefined) {
    live = [];
    simulateDay(nightDay, days.length);
    live.sort((a, b) => a.at - b.at);
  }

  const malformed = [
    '{"messageId": "broken-1", "event": "Page Viewed",',
    'not json at all',
    JSON.stringify({
      messageId: 'no-offset-1',
      event: 'Page Viewed',
      userId: 'u_000001',
      timestamp: `${options.lastDay}T10:00:00`,
    }),
    JSON.stringify({ messageId: 'bad-date-1', event: 'Order Completed', timestamp: '2026-02-30T10:00:00+08:00' }),
    JSON.stringify({ event: 'Signed Up', userId: 'u_x', timestamp: `${options.lastDay}T10:00:00+08:00` }),
    JSON.stringify({ messageId: 'no-event-1', timestamp: `${options.lastDay}T10:00:00+08:00` }),
    JSON.stringify(['an', 'array']),
  ];
  // Malformed lines are spread through the stream: their neighbours must still be stored.
  for (const [k, bad] of malformed.entries()) lines.splice(Math.floor(((k + 1) * lines.length) / 8), 0, bad);
  lines.push(...late);

  return {
    lines,
    days,
    live: live ?? [],
    counts: { events, duplicates, late: late.length, malformed: malformed.length },
    incidents: [
      {
        kind: 'signup_outage',
        kpi: 'new_users',
        days: [outageDay],
        description: `sign-ups fell to about a fifth on ${outageDay}`,
      },
      {
        kind: 'conversion_collapse',
        kpi: 'conversion_rate',
        days: collapseDays,
        description: `checkout broken: conversion about 1.2% on ${collapseDays.join(' and ')}`,
      },
    ],
  };
}

function surveyScore(r: number): number {
  if (r < 0.47) return 9 + Math.floor(r * 4.2); // promoters: 9-10
  if (r < 0.8) return 7 + Math.floor((r - 0.47) * 6); // passives: 7-8
  return Math.floor((r - 0.8) * 35); // detractors: 0-6
}

/** ISO 8601 with the given offset ('Z' or '+08:00'), as an app in that zone would send it. */
export function formatWithOffset(ms: number, offset: string): string {
  if (offset === 'Z') return new Date(ms).toISOString();
  const sign = offset.startsWith('-') ? -1 : 1;
  const minutes = sign * (Number(offset.slice(1, 3)) * 60 + Number(offset.slice(4, 6)));
  return `${new Date(ms + minutes * 60_000).toISOString().slice(0, 23)}${offset}`;
}
