// What the sender needs besides the mailer: alert mails rendered from incidents, and the incidents (and, when the
// checks module provides them, check results) that reports show. One place, so the Lambda and the CLI agree.

import { nightResults } from '#shared/checks/history.ts';
import type { NightshiftConfig } from '#shared/config/schema.ts';
import { alertComposer } from '#shared/email/alert-mail.ts';
import { reportIncidents } from '#shared/reporting/report-incidents.ts';
import type { StateStore } from '#shared/store/store.ts';
import { addDays, periodBounds } from '#shared/time/calendar.ts';
import type { SendDeps } from './send.ts';

export function mailSources(
  store: StateStore,
  config: NightshiftConfig,
): Pick<SendDeps, 'composeAlert' | 'reportSources'> {
  return {
    composeAlert: alertComposer(store, config),
    reportSources: {
      incidents: reportIncidents(store, config),
      // Checks run in the night after the period's last day (02:00 by default), before the 05:00 report.
      checks: async (period) =>
        (await nightResults(store, addDays(periodBounds(period).last, 1))).map((r) => ({
          id: r.checkId,
          kind: r.kind,
          status: r.status,
          summary: r.summary,
        })),
    },
  };
}
