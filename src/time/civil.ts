// Calendar arithmetic without Date objects on the hot path. `daysFromCivil` is Howard Hinnant's
// algorithm (public domain, "chrono-Compatible Low-Level Date Algorithms").
import { createRequire } from 'node:module';
import type { IANAZone } from 'luxon';

// luxon is loaded when a zone is first needed: most reading commands never convert one.
const requireCjs = createRequire(import.meta.url);
let ianaZone: typeof IANAZone | null = null;
function zones(): typeof IANAZone {
  return (ianaZone ??= (requireCjs('luxon') as typeof import('luxon')).IANAZone);
}

export const MONTHS: Readonly<Record<string, number>> = {
  Jan: 1, Feb: 2, Mar: 3, Apr: 4, May: 5, Jun: 6, Jul: 7, Aug: 8, Sep: 9, Oct: 10, Nov: 11, Dec: 12,
};

export function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** Milliseconds since the epoch of a wall-clock time read as UTC. */
export function civilToMs(y: number, mo: number, d: number, h: number, mi: number, s: number, ms = 0): number {
  return ((daysFromCivil(y, mo, d) * 24 + h) * 60 + mi) * 60000 + s * 1000 + ms;
}

export function civilFromMs(ms: number): { y: number; m: number; d: number } {
  const z = Math.floor(ms / 86400000) + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp + (mp < 10 ? 3 : -9);
  return { y: era * 400 + yoe + (m <= 2 ? 1 : 0), m, d };
}

/**
 * Converts local wall-clock milliseconds (wall time read as if UTC) in an IANA zone to UTC, with a
 * per-hour cache so luxon is consulted once per local hour, not per line. In a DST fold the
 * earlier instant is chosen; in a gap the time is moved forward, as the zone rules do.
 */
export class ZoneConverter {
  private readonly zone: IANAZone;
  private readonly cache = new Map<number, number>();
  constructor(readonly name: string) {
    this.zone = zones().create(name);
    if (!this.zone.isValid) throw new RangeError(`unknown time zone: ${name}`);
  }

  static isValid(name: string): boolean {
    return zones().isValidZone(name);
  }

  /** Offset in minutes east of UTC in force at a UTC instant. */
  offsetAt(utcMs: number): number {
    return this.zone.offset(utcMs);
  }

  toUtc(localMs: number): number {
    const hour = Math.floor(localMs / 3600000);
    let off = this.cache.get(hour);
    if (off === undefined) {
      // Two-step guess as luxon's own objToTS does: guess with the offset at localMs-as-UTC,
      // then correct with the offset at the guessed instant.
      const o1 = this.zone.offset(localMs);
      const o2 = this.zone.offset(localMs - o1 * 60000);
      off = o1 === o2 ? o1 : Math.max(o1, o2);
      if (this.cache.size > 100000) this.cache.clear();
      this.cache.set(hour, off);
    }
    return localMs - off * 60000;
  }
}

/** Formats a UTC instant as ISO 8601 with milliseconds and Z. */
export function isoUtc(ms: number | null | undefined): string | null {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return null;
  return new Date(ms).toISOString();
}
