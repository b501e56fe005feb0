// Passes that run over the whole case after every file is stored: they need several sources at
// once (a boot anchor from kern.log applied to dmesg lines, sessions from wtmp records).
import type { Db } from '../store/db.js';
import { anchorUptimeEvents } from '../time/anchor.js';
import { alignLocalSources } from '../time/align.js';

export interface PostPassOptions {
  tz: string | null;
  bootTime: string | null;
}

export interface PostPass {
  name: string;
  run(db: Db, opts: PostPassOptions): void;
}

/** In order: local times are aligned on exact ones before kernel lines in them anchor boots. */
export const POST_PASSES: readonly PostPass[] = [
  { name: 'align-local-times', run: (db, opts) => void alignLocalSources(db, opts) },
  { name: 'uptime-anchor', run: anchorUptimeEvents },
];

export function runPostPasses(db: Db, opts: PostPassOptions): void {
  for (const p of POST_PASSES) db.transaction(() => p.run(db, opts))();
}
