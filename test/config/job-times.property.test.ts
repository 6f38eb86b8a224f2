// The nightly jobs' default times, a boundary every config crosses without writing it: they must exist in every time
// zone a config may name, on every day, or a config that never wrote jobs.* is refused for a field it does not have.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ConfigError, validateConfig } from '#shared/config/load.ts';
import { JOB_TIMES } from '#shared/config/schema.ts';
import { timeZoneProblem } from '#shared/config/time-zone.ts';
import { addDays, dateRange, localDate, localParts, skippedLocalTime } from '#shared/time/calendar.ts';

const example = parse(readFileSync('nightshift.config.yaml', 'utf8')) as Record<string, unknown>;
const minimal = (timeZone: string) => ({
  timeZone,
  email: example.email,
  departments: example.departments,
  people: example.people,
  kpis: example.kpis,
});

/** Every zone Node knows that a config may name, by area (Africa, America, ...): a test each, a few seconds each. */
const ZONES = [...Intl.supportedValuesOf('timeZone'), 'UTC'].filter((zone) => timeZoneProblem(zone) === undefined);
const AREAS = [...new Set(ZONES.map((zone) => zone.split('/')[0]!))];
const zonesIn = (area: string) => ZONES.filter((zone) => zone.split('/')[0] === area);

describe('job defaults exist in every time zone', () => {
  it('the zones checked are the hundreds Node knows, UTC and those with clock changes at midnight and 03:00 among them', () => {
    expect(ZONES.length).toBeGreaterThan(300);
    expect(ZONES).toEqual(
      expect.arrayContaining(['Europe/Berlin', 'America/Chicago', 'Africa/Cairo', 'Europe/Helsinki', 'UTC']),
    );
  });

  it.each(AREAS)(
    'a minimal config in every %s zone is valid, with the default job times',
    (area) => {
      for (const zone of zonesIn(area)) {
        let problems: string[] = [];
        try {
          validateConfig(minimal(zone), zone);
        } catch (error) {
          if (!(error instanceof ConfigError)) throw error;
          problems = error.problems.map((p) => `${zone} ${p.path}: ${p.message}`);
        }
        expect(problems).toEqual([]);
      }
    },
    60_000,
  );

  // Validation looks at 2026-2027 (every rule repeats within two years); the defaults must hold for years beyond.
  it.each(AREAS)(
    'in every %s zone, no day of 2026-2035 skips a default job time',
    (area) => {
      for (const zone of zonesIn(area)) {
        for (const time of Object.values(JOB_TIMES)) {
          expect({ zone, time, skippedOn: firstSkipped(time, zone) }).toEqual({ zone, time, skippedOn: undefined });
        }
      }
    },
    60_000,
  );

  it('the scan finds the clock changes it must: 02:30 in Berlin, 00:30 in Cairo, 03:30 in Helsinki, 23:30 in Nuuk', () => {
    expect(firstSkipped('02:30', 'Europe/Berlin')).toBe('2026-03-29');
    expect(firstSkipped('00:30', 'Africa/Cairo')).toBe('2026-04-24');
    expect(firstSkipped('03:30', 'Europe/Helsinki')).toBe('2026-03-29');
    expect(firstSkipped('23:30', 'America/Nuuk')).toBe('2026-03-28');
    expect(firstSkipped('02:30', 'Asia/Shanghai')).toBeUndefined();
  });
});

const WEEKS = dateRange('2026-01-01', '2035-12-31').filter((_, i) => i % 7 === 0);

/**
 * The first day of 2026-2035 on which `time` does not exist in `zone`, by the calendar module. Only a week whose UTC
 * offset changes can skip a time (clock changes are weeks apart, never two in one week), so only those are asked.
 */
function firstSkipped(time: string, zone: string): string | undefined {
  const offset = (day: string) => {
    const noon = Date.parse(`${day}T12:00:00Z`);
    const p = localParts(noon, zone);
    const hhmm = `${String(p.hour).padStart(2, '0')}:${String(p.minute).padStart(2, '0')}`;
    return Date.parse(`${p.date}T${hhmm}:00Z`) - noon;
  };
  const days = WEEKS.filter((week) => offset(week) !== offset(addDays(week, 7))).flatMap((week) =>
    dateRange(addDays(localDate(Date.parse(`${week}T12:00:00Z`), zone), -1), addDays(week, 8)),
  );
  return skippedLocalTime(time, zone, days);
}
