// The character-code reading of RFC 3339 syslog stamps (fastRfc3339) must agree with the regex it
// shortcuts on every line: the common forms, and mutations of them (the regex then decides).
import { describe, expect, it } from 'vitest';
import { fastRfc3339, parseRfc3339Line } from '../../src/formats/syslog.js';

const LINES = [
  '2026-11-21T16:49:13.222619-05:00 vm kernel: [ 2592.661349] cgroup: fork rejected by pids controller in /lab-pids',
  '2026-11-21T06:25:01.123456+00:00 benchhost CRON[1234]: (root) CMD (command)',
  '2025-03-04T10:15:00Z app1 app[4242]: started',
  '2025-03-04 10:15:00.5+0530 host prog: half-hour zone, no colon',
  '2025-03-04T10:15:00,12+10:30 host prog: comma fraction',
  '2025-03-04T10:15:00.123456789+01:00 host prog: nine digits',
  '2025-03-04T10:15:00.1234567890+01:00 host prog: ten digits',
  '2025-13-04T10:15:00Z host prog: month 13',
  '2025-02-31T10:15:00Z host prog: day 31 of February',
  '2025-03-04T10:15:00Z\thost prog: tab',
  '2025-03-04T10:15:00Z   host prog: spaces',
  '2025-03-04T10:15:00Z\u00a0host prog: nbsp',
  '2025-03-04T10:15:00Z host prog: carriage\r return',
  '2025-03-04T10:15:00Z host prog: line\u2028separator',
  '2025-03-04T10:15:00Z ',
  '2025-03-04T10:15:00Z',
  '2025-03-04T10:15:00. host',
  '2025-03-04T10:15:00+1 host',
  '2025-03-04T1:15:00Z host',
  '20250304T101500Z host prog: basic format',
  '2025-03-04T10:15:00.000000+00:00 h p: \u{1F600} astral',
];

describe('fastRfc3339 agrees with the RFC 3339 regex', () => {
  const variants = new Set<string>(LINES);
  for (const l of LINES) {
    for (let i = 0; i < Math.min(l.length, 40); i++) {
      variants.add(l.slice(0, i) + l.slice(i + 1)); // a character dropped
      variants.add(l.slice(0, i) + 'x' + l.slice(i + 1)); // a character replaced
      variants.add(l.slice(0, i) + '9' + l.slice(i + 1));
    }
  }
  it(`on ${variants.size} lines`, () => {
    let fast = 0;
    for (const v of variants) {
      const f = fastRfc3339(v);
      if (f === undefined) continue;
      fast++;
      expect([v, f]).toEqual([v, parseRfc3339Line(v)]);
    }
    // The shortcut is taken for the common forms (and hundreds of their mutations), not left to the regex.
    for (const l of LINES.slice(0, 6)) expect(fastRfc3339(l)).toEqual(parseRfc3339Line(l));
    for (const l of LINES.slice(0, 6)) expect(fastRfc3339(l)).not.toBeUndefined();
    expect(fast).toBeGreaterThan(500);
  });
});
