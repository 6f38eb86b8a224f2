// Every date a report prints names September 'Sep', as the calendar's table does: Intl's en-GB writes 'Sept' in newer
// ICU, which made one mail read '7 Sept 05:00' beside '6 Sep'.
import { describe, expect, it } from 'vitest';
import { sampleReportModel } from '#cli/demo/report-sample.ts';
import { formatInstant } from '#shared/email/format.ts';
import { renderReport } from '#shared/email/render.ts';

describe('month names in report dates', () => {
  it('formatInstant writes Sep, with and without a valid zone', () => {
    expect(formatInstant('2026-09-06T21:00:04Z', 'Asia/Shanghai')).toBe('7 Sep 05:00');
    expect(formatInstant('2026-09-06T21:00:04Z', 'Asia/Shanghai', false)).toBe('05:00');
    expect(formatInstant('2026-09-06T21:00:04Z', 'Not/AZone')).toBe('6 Sep 21:00');
  });

  it('a September report says Sep in its generated line, incidents and jobs, in both parts', () => {
    const model = sampleReportModel({ date: '2026-09-06' });

    const out = renderReport(model);

    for (const part of [out.text, out.html]) {
      expect(part).toContain('Generated 7 Sep 05:00');
      expect(part).not.toMatch(/\bSept\b/);
    }
    expect(out.text).toMatch(/\(7 Sep \d\d:\d\d\)/); // a job's last run
  });
});
