// Passes that run over the whole case after every file is stored: they need several sources at
// once (a boot anchor from kern.log applied to dmesg lines, sessions from wtmp records).
import type { Db } from '../store/db.js';
import { anchorUptimeEvents } from '../time/anchor.js';
import { alignLocalSources } from '../time/align.js';

export interface PostPassOptions {
  tz: string | null;
  bootTime: string | null;
  /** The last boot as the evidence gives it (a sosreport's date less its uptime), for uptime-only lines nothing better anchors. */
  bootHint?: { ms: number; from: string } | null;
}

export interface PostPass {
  name: string;
  /** Returns the ids of the sources whose times it changed. */
  run(db: Db, opts: PostPassOptions): Iterable<number>;
}

/** In order: local times are aligned on exact ones before kernel lines in them anchor boots. */
export const POST_PASSES: readonly PostPass[] = [
  { name: 'align-local-times', run: (db, opts) => alignLocalSources(db, opts).map((s) => s.source_id) },
  { name: 'uptime-anchor', run: anchorUptimeEvents },
];

/** Runs every pass; the ids of the sources whose times changed. */
export function runPostPasses(db: Db, opts: PostPassOptions): Set<number> {
  const touched = new Set<number>();
  for (const p of POST_PASSES) db.transaction(() => {
    for (const id of p.run(db, opts)) touched.add(id);
  })();
  return touched;
}
