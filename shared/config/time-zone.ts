// Which time zones a config may name: an IANA zone of a region (Asia/Shanghai, Europe/Berlin) or UTC. EventBridge
// Scheduler needs a named zone, and only a region's zone follows its daylight-saving changes.

import { editDistance } from '#shared/formula/formula.ts';

/** IANA's region areas; every zone Intl lists (`Intl.supportedValuesOf('timeZone')`) is in one of them. */
const REGION = /^(Africa|America|Antarctica|Arctic|Asia|Atlantic|Australia|Europe|Indian|Pacific)(\/[A-Z][\w+-]*)+$/;
/** '+08:00', '-0500', 'GMT+8', 'UTC-03:30', 'Etc/GMT-8': fixed offsets, however spelled. */
const OFFSET = /^(?:(?:Etc\/)?(?:GMT|UTC|UT)\s*)?[+-]\s*\d{1,2}(?::?\d{2})?$/i;
const EXAMPLE = 'e.g. Asia/Shanghai or Europe/Berlin';

/** What is wrong with `timeZone` as a config's zone, or undefined when it is a region's zone or UTC. */
export function timeZoneProblem(timeZone: string): string | undefined {
  if (timeZone === 'UTC') return undefined;
  const resolved = resolve(timeZone);
  if (resolved === 'UTC') return `'${timeZone}' is another name for UTC: write UTC`;
  if (OFFSET.test(timeZone) || (resolved !== undefined && /^[+-]|^Etc\/GMT[+-]/.test(resolved))) {
    // POSIX names count the other way round: Etc/GMT-8 is eight hours ahead of UTC.
    const posix = /^Etc\/GMT-/i.test(timeZone)
      ? ` (${timeZone} is UTC+${timeZone.slice(8)}: POSIX inverts the sign)`
      : '';
    return `expected the time zone of a region (${EXAMPLE}), not the UTC offset '${timeZone}'${posix}: EventBridge Scheduler needs a named zone, and an offset does not follow daylight-saving changes`;
  }
  if (resolved === undefined) {
    const meant = nearestZone(timeZone);
    return meant === undefined
      ? 'expected an IANA time zone such as Asia/Shanghai'
      : `'${timeZone}' is not an IANA time zone: did you mean ${meant}?`;
  }
  if (resolved.toLowerCase() === timeZone.toLowerCase() && resolved !== timeZone) {
    return `time zone names are case-sensitive: write ${resolved}`;
  }
  if (REGION.test(timeZone)) return undefined;
  return REGION.test(resolved)
    ? `'${timeZone}' is an old alias, not the time zone of a region: write ${resolved}`
    : `'${timeZone}' is not the time zone of a region: write one such as Asia/Shanghai or Europe/Berlin, or UTC`;
}

const squeeze = (name: string) => name.toLowerCase().replace(/[\s_-]/g, '');

/**
 * The region's zone (or UTC) a name Intl does not know most likely meant: the same but for spaces, underscores and
 * hyphens (America/LosAngeles, America/New York), a typo or two away (Europe/Berln), or a city named without its
 * region (Los Angeles).
 */
export function nearestZone(timeZone: string): string | undefined {
  const wanted = squeeze(timeZone.trim());
  if (wanted.length < 3) return undefined;
  const bare = !wanted.includes('/');
  let best: { zone: string; distance: number } | undefined;
  for (const zone of [...Intl.supportedValuesOf('timeZone').filter((z) => REGION.test(z)), 'UTC']) {
    const key = squeeze(zone);
    const distance = Math.min(
      editDistance(wanted, key),
      bare ? editDistance(wanted, key.slice(key.lastIndexOf('/') + 1)) : Number.POSITIVE_INFINITY,
    );
    if (best === undefined || distance < best.distance) best = { zone, distance };
  }
  if (best === undefined) return undefined;
  const allowed = wanted.length >= 8 ? 2 : 1;
  return best.distance <= allowed ? best.zone : undefined;
}

/** The zone Intl reads `timeZone` as (case-insensitive, links resolved), or undefined when it knows no such zone. */
function resolve(timeZone: string): string | undefined {
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}
