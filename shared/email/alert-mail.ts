// The alert email of one incident transition: a subject that says what happened, an HTML part (nested tables,
// inline CSS, the chart as a cid: image) and a plain-text part, both with the value, the expected range, the target,
// recent history and the response plan's steps. Everything from config or data is escaped.
import type { Kpi, NightshiftConfig, Person, ResponsePlan } from '#shared/config/schema.ts';
import {
  type Incident,
  type IncidentGranularity,
  readIncident,
  readIncidentHistory,
  type Transition,
} from '#shared/incidents/incidents.ts';
import { routeIncident } from '#shared/incidents/routing.ts';
import { formatKpiValue } from '#shared/kpi/format.ts';
import { readKpiValues } from '#shared/kpi/kpi-store.ts';
import type { AlertDelivery } from '#shared/queue/messages.ts';
import type { StateStore } from '#shared/store/store.ts';
import { type PeriodId, shiftPeriod } from '#shared/time/calendar.ts';
import { renderTrendChart } from './chart.ts';
import { clip, escapeHtml as esc, oneLine } from './escape.ts';
import { formatInstant, shortPeriod, sparkline } from './format.ts';
import type { InlineImage } from './render.ts';
import { BADGE, type BadgeKind, COLOUR, FONT } from './theme.ts';

export interface RenderedAlert {
  subject: string;
  html: string;
  text: string;
  /** The trend chart, when the incident is about a KPI with history. */
  images: InlineImage[];
}

export interface AlertHistoryPoint {
  period: PeriodId;
  value: number | null;
}

export interface RenderAlertOptions {
  /** The transition to mail; default the incident's last one. */
  transition?: Transition;
  recipient?: Pick<Person, 'name' | 'email'>;
}

/** Periods of KPI history an alert shows. */
export const ALERT_HISTORY = 28;
const RECENT_ROWS = 7;
const SUBJECT_MAX = 180;
const MAX_WIDTH = 640;
const TABLE = 'role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0"';
const F = `font-family:${FONT};`;
const SMALL = `${F}font-size:12px;line-height:18px;color:${COLOUR.muted};`;

const periodNoun: Record<IncidentGranularity, string> = {
  day: 'day',
  week: 'week',
  month: 'month',
  hour: 'hour',
  run: 'run',
};

function kpiFor(incident: Incident, config: NightshiftConfig): Kpi | undefined {
  return incident.kpi ? config.kpis.find((k) => k.id === incident.kpi) : undefined;
}

/** The headline: what happened, without the '[Nightshift] OPENED critical:' prefix. */
export function alertHeadline(incident: Incident, transition: Transition, config: NightshiftConfig): string {
  const obs = transition.observation;
  if (transition.transition !== 'resolved') return obs.summary;
  const kpi = kpiFor(incident, config);
  const n = incident.periods;
  const after = n > 0 ? ` after ${n} ${periodNoun[incident.granularity]}${n === 1 ? '' : 's'}` : '';
  if (incident.type === 'event') {
    // A silence is judged a day at a time, but lasted hours: "after 1 day" read as a day-long gap for one of 4 hours.
    // Only a silence that ran over several judged days says how many.
    const days = n > 1 ? ` after ${n} ${periodNoun[incident.granularity]}s with an unusual silence` : '';
    // Resolved by a day whose silence its rhythm expects (a closed Sunday): nothing has arrived again yet.
    if (obs.summary.startsWith('No ')) return `${incident.label}: no unusual silence any more${days}`;
    return `${incident.label} arriving again${days}`;
  }
  if (incident.type === 'job') return `${incident.label} healthy again${after}`;
  if (incident.type === 'check') return `${incident.label} passing again${after}`;
  if (incident.kind === 'missing_data') return `${incident.label} has data again${after}`;
  const value = kpi && obs.value !== undefined && obs.value !== null ? formatKpiValue(obs.value, kpi) : 'normal';
  return `${incident.label} back to ${value}${after}`;
}

/** '[Nightshift] OPENED critical: Conversion rate 1.18% below alarm floor 2.00%' */
export function alertSubject(incident: Incident, transition: Transition, config: NightshiftConfig): string {
  const head = `[Nightshift] ${transition.transition.toUpperCase()} ${transition.severity}`;
  return clip(oneLine(`${head}: ${alertHeadline(incident, transition, config)}`), SUBJECT_MAX);
}

interface Fact {
  label: string;
  value: string;
}

function rangeText(b: { min?: number; max?: number } | undefined, kpi: Kpi): string | undefined {
  if (!b) return undefined;
  const f = (x: number) => formatKpiValue(x, kpi);
  if (b.min !== undefined && b.max !== undefined) return `${f(b.min)} – ${f(b.max)}`;
  return b.min !== undefined ? `at least ${f(b.min)}` : `at most ${f(b.max!)}`;
}

function facts(incident: Incident, transition: Transition, kpi: Kpi | undefined, timeZone: string): Fact[] {
  const obs = transition.observation;
  const out: Fact[] = [];
  const when = shortPeriod(obs.period);
  if (kpi) {
    out.push({ label: `Value (${when})`, value: formatKpiValue(obs.value ?? null, kpi) });
    if (obs.expected !== undefined && obs.expected !== null) {
      const band =
        obs.lower !== undefined && obs.lower !== null && obs.upper !== undefined && obs.upper !== null
          ? `, usual ${formatKpiValue(obs.lower, kpi)} – ${formatKpiValue(obs.upper, kpi)}`
          : '';
      out.push({ label: 'Expected', value: `${formatKpiValue(obs.expected, kpi)}${band}` });
    }
    const target = rangeText(obs.target, kpi);
    if (target) out.push({ label: 'Target', value: target });
    const alarm = rangeText(obs.alarm, kpi);
    if (alarm) out.push({ label: 'Alarm bounds', value: alarm });
  } else if (obs.value !== undefined && obs.value !== null) {
    out.push({ label: `Events (${when})`, value: String(obs.value) });
  }
  for (const d of obs.details ?? []) out.push({ label: d.label, value: d.value });
  if (incident.openedPeriod) {
    const n = incident.periods;
    // From the incident's first anomalous period (before the one that opened it when openAfter > 1); a resolved one
    // runs to the period that resolved it. The count is of unusual periods: ordinary ones in between kept it open.
    const first = shortPeriod(incident.firstPeriod ?? incident.openedPeriod);
    const resolved = transition.transition === 'resolved';
    out.push({
      label: resolved ? 'Lasted' : 'Since',
      value: `${resolved ? `${first} – ${when}` : first} · ${n} unusual ${periodNoun[incident.granularity]}${n === 1 ? '' : 's'}`,
    });
  }
  out.push({ label: 'At', value: `${formatInstant(transition.at, timeZone)} (${timeZone})` });
  return out;
}

function badge(kind: BadgeKind): string {
  const b = BADGE[kind];
  return `<span style="display:inline-block;${F}font-size:11px;line-height:16px;font-weight:600;padding:2px 8px;border-radius:10px;background:${b.bg};color:${b.fg};white-space:nowrap">${esc(b.label)}</span>`;
}

function card(inner: string): string {
  return `<tr><td style="padding-top:16px"><table ${TABLE} style="background:${COLOUR.card};border:1px solid ${COLOUR.border};border-radius:12px;border-collapse:separate"><tr><td class="ns-pad" style="padding:20px 24px">${inner}</td></tr></table></td></tr>`;
}

function heading(text: string): string {
  return `<div style="${F}font-size:13px;line-height:20px;font-weight:700;letter-spacing:.06em;text-transform:uppercase;color:${COLOUR.ink};padding-bottom:8px">${esc(text)}</div>`;
}

const transitionBadge: Record<Transition['transition'], BadgeKind> = {
  opened: 'open',
  escalated: 'escalated',
  resolved: 'resolved',
};

/**
 * Renders the mail of one transition. `history` is the KPI's recent values, oldest first (empty for event streams);
 * `plan` the response plan the incident is routed to (none: the administrators were told).
 */
export function renderAlert(
  incident: Incident,
  plan: ResponsePlan | undefined,
  config: NightshiftConfig,
  history: readonly AlertHistoryPoint[],
  options: RenderAlertOptions = {},
): RenderedAlert {
  const transition = options.transition ?? incident.lastTransition;
  if (!transition) throw new Error(`incident ${incident.id} has no transition to mail`);
  const kpi = kpiFor(incident, config);
  const subject = alertSubject(incident, transition, config);
  const headline = alertHeadline(incident, transition, config);
  const fs = facts(incident, transition, kpi, config.timeZone);
  const people = new Map(config.people.map((p) => [p.id, p]));
  const nameOf = (id: string) => people.get(id)?.name ?? id;
  const values = history.map((h) => h.value);
  const hasChart = kpi !== undefined && values.some((v) => v !== null);
  const images: InlineImage[] = [];
  const obs = transition.observation;
  const bounds = chartBounds(incident, config, obs);

  // --- HTML ---
  const blocks: string[] = [];
  blocks.push(
    `<tr><td style="padding:4px 4px 0"><table ${TABLE}><tr><td style="${F}font-size:12px;line-height:18px;font-weight:700;letter-spacing:.14em;text-transform:uppercase;color:${COLOUR.brand}">Nightshift alert</td><td align="right" style="${SMALL}">${esc(shortPeriod(obs.period))}</td></tr></table></td></tr>`,
  );
  const factRows = fs
    .map(
      (f, i) =>
        `<tr><td style="${i ? `border-top:1px solid ${COLOUR.rule};` : ''}padding:8px 12px 8px 0;${SMALL}vertical-align:top;white-space:nowrap">${esc(f.label)}</td><td align="right" style="${i ? `border-top:1px solid ${COLOUR.rule};` : ''}padding:8px 0;${F}font-size:14px;line-height:20px;font-weight:600;color:${COLOUR.ink}">${esc(f.value)}</td></tr>`,
    )
    .join('');
  blocks.push(
    card(
      `<div>${badge(transitionBadge[transition.transition])} ${badge(transition.severity)}</div><h1 style="margin:0;padding-top:10px;${F}font-size:22px;line-height:29px;font-weight:700;color:${COLOUR.ink}">${esc(headline)}</h1><div style="${SMALL}padding-top:4px">${esc(incident.title)}</div><table ${TABLE} style="margin-top:14px">${factRows}</table>`,
    ),
  );

  if (hasChart && kpi) {
    const chart = renderTrendChart({
      values,
      ...(bounds ? { target: bounds } : {}),
      status: statusOf(obs.value, bounds),
    });
    const cid = `alert-${transition.seq}-${kpi.id}@nightshift.alert`.replace(/[^A-Za-z0-9@._-]/g, '-');
    images.push({ cid, filename: `trend-${kpi.id}.png`, png: chart.png });
    const first = history[0]!.period;
    const last = history[history.length - 1]!.period;
    const seen = values.filter((v): v is number => v !== null);
    const low = formatKpiValue(Math.min(...seen), kpi);
    const high = formatKpiValue(Math.max(...seen), kpi);
    const alt = `${incident.label}, ${shortPeriod(first)} to ${shortPeriod(last)}: low ${low}, high ${high}, latest ${formatKpiValue(values.at(-1) ?? null, kpi)}`;
    const recent = history.slice(-RECENT_ROWS).reverse();
    const recentRows = recent
      .map(
        (h, i) =>
          `<tr><td style="${i ? `border-top:1px solid ${COLOUR.rule};` : ''}padding:6px 12px 6px 0;${F}font-size:13px;line-height:19px;color:${COLOUR.body}">${esc(shortPeriod(h.period))}</td><td align="right" style="${i ? `border-top:1px solid ${COLOUR.rule};` : ''}padding:6px 0;${F}font-size:13px;line-height:19px;font-weight:600;color:${outside(h.value, bounds) ? COLOUR.bad : COLOUR.ink}">${esc(formatKpiValue(h.value, kpi))}</td></tr>`,
      )
      .join('');
    blocks.push(
      card(
        `${heading('Recent history')}<img src="cid:${esc(cid)}" width="${chart.width}" height="${chart.height}" alt="${esc(alt)}" style="display:block;width:100%;max-width:${chart.width}px;height:auto;border:0;border-radius:6px"><table ${TABLE}><tr><td style="${F}font-size:11px;line-height:16px;color:${COLOUR.faint};padding-top:4px">${esc(shortPeriod(first))}</td><td align="center" style="${F}font-size:11px;line-height:16px;color:${COLOUR.faint};padding-top:4px">${esc(`low ${low} · high ${high}`)}${bounds ? ' · dashed: target' : ''}</td><td align="right" style="${F}font-size:11px;line-height:16px;color:${COLOUR.faint};padding-top:4px">${esc(shortPeriod(last))}</td></tr></table><table ${TABLE} style="margin-top:12px">${recentRows}</table>`,
      ),
    );
  }

  if (plan) {
    const steps = plan.steps
      .map(
        (s, i) =>
          `<tr><td width="28" style="padding:6px 0;vertical-align:top;${F}font-size:14px;line-height:21px;font-weight:700;color:${COLOUR.brand}">${i + 1}.</td><td style="padding:6px 0;${F}font-size:14px;line-height:21px;color:${COLOUR.body}">${esc(s)}</td></tr>`,
      )
      .join('');
    const who = [`First responder: ${nameOf(plan.firstResponder)}`];
    if (plan.alsoTell.length) who.push(`Also told: ${plan.alsoTell.map(nameOf).join(', ')}`);
    blocks.push(
      card(
        `${heading(transition.transition === 'resolved' ? 'Response plan (for the follow-up)' : 'What to do')}<div style="${F}font-size:15px;line-height:21px;font-weight:600;color:${COLOUR.ink}">${esc(plan.title)}</div><div style="${SMALL}padding-bottom:6px">${esc(who.join(' · '))}</div><table ${TABLE}>${steps}</table>`,
      ),
    );
  } else {
    blocks.push(
      card(
        `${heading('What to do')}<div style="${F}font-size:14px;line-height:21px;color:${COLOUR.body}">No response plan covers this incident, so it went to the administrators. Add a plan for "${esc(incident.kind)}" or for this KPI to route it.</div>`,
      ),
    );
  }

  const to = options.recipient ? ` to ${options.recipient.email}` : '';
  blocks.push(
    `<tr><td align="center" style="padding:20px 16px 8px;${F}font-size:11px;line-height:17px;color:${COLOUR.faint}">Sent by Nightshift${esc(to)} · incident ${esc(incident.id)}, transition ${transition.seq} (${esc(transition.transition)}).<br>One mail per transition: you hear again when it escalates or resolves.</td></tr>`,
  );

  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="x-apple-disable-message-reformatting"><meta name="color-scheme" content="light"><meta name="supported-color-schemes" content="light"><title>${esc(subject)}</title><style>@media (max-width:480px){.ns-pad{padding:16px!important}.ns-outer{padding:12px 8px!important}}</style></head>
<body style="margin:0;padding:0;background:${COLOUR.page};-webkit-text-size-adjust:100%;-ms-text-size-adjust:100%">
<div style="display:none;max-height:0;overflow:hidden;mso-hide:all">${esc(clip(oneLine(incident.title), 140))}</div>
<table ${TABLE} style="background:${COLOUR.page}"><tr><td align="center" class="ns-outer" style="padding:24px 12px">
<!--[if mso]><table role="presentation" width="${MAX_WIDTH}" cellpadding="0" cellspacing="0" border="0"><tr><td><![endif]-->
<table ${TABLE} style="max-width:${MAX_WIDTH}px;width:100%">
${blocks.join('\n')}
</table>
<!--[if mso]></td></tr></table><![endif]-->
</td></tr></table>
</body></html>
`;

  // --- text ---
  const lines: string[] = [];
  const title = `${transition.transition.toUpperCase()} ${transition.severity.toUpperCase()}: ${oneLine(headline)}`;
  lines.push(title, '='.repeat(Math.min(60, title.length)), oneLine(incident.title), '');
  for (const f of fs) lines.push(f.label ? `${f.label}: ${oneLine(f.value)}` : `  ${oneLine(f.value)}`);
  lines.push('');
  if (hasChart && kpi) {
    lines.push(`RECENT HISTORY (${shortPeriod(history[0]!.period)} – ${shortPeriod(history.at(-1)!.period)})`);
    lines.push(sparkline(values));
    for (const h of history.slice(-RECENT_ROWS).reverse()) {
      lines.push(
        `  ${shortPeriod(h.period)}: ${formatKpiValue(h.value, kpi)}${outside(h.value, bounds) ? '  (!)' : ''}`,
      );
    }
    lines.push('');
  }
  if (plan) {
    lines.push(transition.transition === 'resolved' ? 'RESPONSE PLAN (for the follow-up)' : 'WHAT TO DO');
    lines.push(oneLine(plan.title));
    lines.push(`First responder: ${oneLine(nameOf(plan.firstResponder))}`);
    if (plan.alsoTell.length) lines.push(`Also told: ${plan.alsoTell.map((id) => oneLine(nameOf(id))).join(', ')}`);
    plan.steps.forEach((s, i) => {
      lines.push(`${i + 1}. ${oneLine(s)}`);
    });
  } else {
    lines.push('No response plan covers this incident, so it went to the administrators.');
  }
  lines.push(
    '',
    `-- Nightshift${to} · incident ${incident.id}, transition ${transition.seq} (${transition.transition})`,
  );

  return { subject, html, text: `${lines.join('\n')}\n`, images };
}

/** The bounds the chart and history mark: the ones the rule checks (alarm or target), else the target. */
function chartBounds(incident: Incident, config: NightshiftConfig, obs: Transition['observation']) {
  const rule = incident.rule ? config.alerts.rules.find((r) => r.id === incident.rule) : undefined;
  const breach = rule?.all.find((c) => 'breach' in c);
  if (breach && 'breach' in breach) return breach.breach === 'alarm' ? obs.alarm : obs.target;
  return obs.target ?? obs.alarm;
}

function outside(value: number | null, b: { min?: number; max?: number } | undefined): boolean {
  if (value === null || !b) return false;
  return (b.min !== undefined && value < b.min) || (b.max !== undefined && value > b.max);
}

function statusOf(value: number | null | undefined, b: { min?: number; max?: number } | undefined) {
  if (value === null || value === undefined) return 'no_value' as const;
  if (!b) return 'no_target' as const;
  return outside(value, b) ? ('missed' as const) : ('met' as const);
}

export interface AlertMail extends RenderedAlert {
  recipient: Person;
}

/**
 * Loads what the mail of a queued alert message needs (the incident, that transition, the plan, the KPI's history)
 * and renders it; undefined when the incident, transition or recipient no longer exists (nothing to send).
 */
export async function loadAlertMail(
  store: StateStore,
  config: NightshiftConfig,
  message: AlertDelivery,
): Promise<AlertMail | undefined> {
  const incident = await readIncident(store, message.incidentId);
  const recipient = config.people.find((p) => p.id === message.recipientId);
  if (!incident || !recipient) return undefined;
  const transition =
    incident.lastTransition?.seq === message.seq
      ? incident.lastTransition
      : (await readIncidentHistory(store, incident.id)).find((t) => t.seq === message.seq);
  if (!transition || transition.transition !== message.transition) return undefined;
  let history: AlertHistoryPoint[] = [];
  if (incident.kpi && incident.granularity !== 'hour' && incident.granularity !== 'run') {
    const period = transition.observation.period;
    const stored = await readKpiValues(
      store,
      incident.kpi,
      incident.granularity,
      shiftPeriod(period, 1 - ALERT_HISTORY),
      period,
    );
    history = stored.map((v) => ({
      period: v.period,
      value: v.pending ? null : incident.scope === undefined ? v.value : (v.byScope?.[incident.scope]?.value ?? null),
    }));
  }
  const { plan } = routeIncident(incident, config);
  return { ...renderAlert(incident, plan, config, history, { transition, recipient }), recipient };
}

export class AlertMailError extends Error {
  override name = 'AlertMailError';
}

/**
 * The sender's `composeAlert` (see shared/delivery/send.ts): renders a queued alert message from stored state. A
 * message whose incident transition does not exist fails, so it ends in the dead-letter queue for inspection.
 */
export function alertComposer(
  store: StateStore,
  config: NightshiftConfig,
): (message: AlertDelivery, recipient: Person) => Promise<RenderedAlert> {
  return async (message) => {
    const mail = await loadAlertMail(store, config, message);
    if (!mail) {
      throw new AlertMailError(
        `no incident transition for alert ${message.incidentId} #${message.seq} (${message.transition}) to ${message.recipientId}`,
      );
    }
    const { recipient: _recipient, ...rendered } = mail;
    return rendered;
  };
}
