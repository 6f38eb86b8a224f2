// Mail that did not reach its reader: the bounces and complaints SES reported in the last MAIL_FEEDBACK_WINDOW_MS,
// judged every hour as one subject per kind (one incident for all bounces, one for all complaints, not one per mail).
// An incident opens on the first one and resolves once a whole window passes without any. Recipients are named by
// their config id. Judged only while there is feedback or an incident to resolve, so a healthy hour writes nothing.
import type { NightshiftConfig } from '#shared/config/schema.ts';
import { type IncidentSubject, incidentId, readIncident } from '#shared/incidents/incidents.ts';
import { type FeedbackType, type MailFeedback, readFeedbackBetween } from '#shared/mailer/feedback.ts';
import type { StateStore } from '#shared/store/store.ts';
import { localWhen } from './judge.ts';

/** Two days: a daily report's address that keeps bouncing keeps its incident open from one morning to the next. */
export const MAIL_FEEDBACK_WINDOW_MS = 48 * 3_600_000;

export type MailProblem = 'bounced' | 'complained';

const subject = (type: FeedbackType, title: string): IncidentSubject => ({
  type: 'job',
  key: `send-email.${type}`,
  // The pipeline's plan: mail that does not arrive is Nightshift failing its readers.
  kind: 'job_failed',
  granularity: 'hour',
  title,
  label: 'Report and alert mail',
  severity: 'warning',
  openAfter: 1,
  resolveAfter: 1,
  cooldownDays: 0,
});

export const MAIL_SUBJECTS: Record<FeedbackType, IncidentSubject> = {
  bounce: subject('bounce', 'Mail: bounced'),
  complaint: subject('complaint', 'Mail: marked as spam'),
};

const PROBLEM: Record<FeedbackType, MailProblem> = { bounce: 'bounced', complaint: 'complained' };

export interface MailVerdict {
  subject: IncidentSubject;
  problem?: MailProblem;
  severity: 'warning';
  /** Recipients affected, capped at 2: a second recipient escalates once. */
  magnitude: number;
  summary: string;
  feedback: MailFeedback[];
}

/** One verdict per kind with feedback in the window, or with an open incident that may now resolve. */
export async function judgeMailFeedback(
  store: StateStore,
  config: Pick<NightshiftConfig, 'timeZone'>,
  now: number,
): Promise<MailVerdict[]> {
  const recent = await readFeedbackBetween(store, now - MAIL_FEEDBACK_WINDOW_MS, now + 1, config.timeZone);
  const verdicts: MailVerdict[] = [];
  for (const type of ['bounce', 'complaint'] as const) {
    const subject = MAIL_SUBJECTS[type];
    const feedback = recent.filter((f) => f.type === type);
    if (feedback.length === 0) {
      const open = (await readIncident(store, incidentId(subject)))?.status === 'open';
      if (open) verdicts.push({ subject, severity: 'warning', magnitude: 0, summary: healthy(type), feedback });
      continue;
    }
    const recipients = [...new Set(feedback.map((f) => f.recipientId))];
    verdicts.push({
      subject,
      problem: PROBLEM[type],
      severity: 'warning',
      magnitude: Math.min(recipients.length, 2),
      summary: describe(type, feedback, recipients, config.timeZone),
      feedback,
    });
  }
  return verdicts;
}

function describe(type: FeedbackType, feedback: MailFeedback[], recipients: string[], timeZone: string): string {
  const who = recipients.map((id) => {
    const latest = feedback.filter((f) => f.recipientId === id).at(-1)!;
    return `${id} (${latest.detail}, ${localWhen(latest.at, timeZone)})`;
  });
  const n = recipients.length === 1 ? '1 recipient' : `${recipients.length} recipients`;
  return type === 'bounce'
    ? `Mail bounced for ${n} in the last 48 h: ${who.join(', ')}. Check their addresses in the config; SES suppresses a permanently bouncing address until it is removed from the suppression list.`
    : `Mail marked as spam by ${n} in the last 48 h: ${who.join(', ')}. Ask them; remove them from the reports they do not want.`;
}

const healthy = (type: FeedbackType) =>
  type === 'bounce' ? 'No mail bounced in the last 48 h' : 'No mail marked as spam in the last 48 h';
