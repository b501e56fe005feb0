// Calendar arithmetic and zone conversion used on the hot path.
import { describe, expect, it } from 'vitest';
import { civilFromMs, civilToMs, ZoneConverter } from '../../src/time/civil.js';
import { formatOffset, offsetForLocal } from '../../src/time/zone-inference.js';

describe('civil time', () => {
  it('matches Date.UTC, leap days included', () => {
    for (const [y, m, d] of [[1970, 1, 1], [2000, 2, 29], [2024, 12, 31], [2026, 11, 21], [1999, 3, 1]]) {
      expect(civilToMs(y, m, d, 13, 14, 15, 16)).toBe(Date.UTC(y, m - 1, d, 13, 14, 15, 16));
      expect(civilFromMs(Date.UTC(y, m - 1, d, 23, 59))).toEqual({ y, m, d });
    }
  });

  it('converts New York wall time across DST (fold: earlier instant; gap: moved forward)', () => {
    const z = new ZoneConverter('America/New_York');
    expect(z.toUtc(civilToMs(2026, 11, 21, 16, 48, 31))).toBe(Date.UTC(2026, 10, 21, 21, 48, 31));
    expect(z.toUtc(civilToMs(2026, 7, 1, 12, 0, 0))).toBe(Date.UTC(2026, 6, 1, 16));
    expect(z.toUtc(civilToMs(2026, 11, 1, 1, 30, 0))).toBe(Date.UTC(2026, 10, 1, 5, 30));
    expect(() => new ZoneConverter('Mars/Olympus')).toThrow();
  });

  it('picks the inferred offset span nearest in time', () => {
    const a = { minutes: -300, why: '', spans: [{ from_ms: 0, to_ms: Date.UTC(2026, 2, 8, 7), minutes: -300 }, { from_ms: Date.UTC(2026, 2, 8, 7), to_ms: Date.UTC(2026, 10, 1, 6), minutes: -240 }] };
    expect(offsetForLocal(a, civilToMs(2026, 7, 1, 12, 0, 0))).toBe(-240);
    expect(offsetForLocal(a, civilToMs(2026, 1, 1, 12, 0, 0))).toBe(-300);
    expect(formatOffset(-300)).toBe('-05:00');
    expect(formatOffset(330)).toBe('+05:30');
  });
});
