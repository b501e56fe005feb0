// The one ranking of time qualities (TIME_QUALITIES, best first, in src/formats/types.ts): every
// module uses it to choose between copies of a line (the same kernel line in kern.log, syslog,
// messages and a dmesg dump) and to say how far a time can be trusted. An uptime mapped through a
// boot anchor is precise to the millisecond; a local stamp depends on a zone and is whole seconds.
import { TIME_QUALITIES } from '../formats/types.js';

const RANK: ReadonlyMap<string, number> = new Map(TIME_QUALITIES.map((q, i) => [q, i]));

/** 0 for exact, larger is worse; anything unrecognised ranks last. */
export function timeQualityRank(q: string | null | undefined): number {
  return (q ? RANK.get(q) : undefined) ?? TIME_QUALITIES.length;
}
