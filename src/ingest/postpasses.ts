// Passes that run over the whole case after every file is stored: they need several sources at
// once (a boot anchor from kern.log applied to dmesg lines, sessions from wtmp records).
import type { Db } from '../store/db.js';
import { anchorUptimeEvents } from '../time/anchor.js';

export interface PostPassOptions {
  tz: string | null;
  bootTime: string | null;
}

export interface PostPass {
  name: string;
  run(db: Db, opts: PostPassOptions): void;
}

export const POST_PASSES: readonly PostPass[] = [{ name: 'uptime-anchor', run: anchorUptimeEvents }];

export function runPostPasses(db: Db, opts: PostPassOptions): void {
  for (const p of POST_PASSES) db.transaction(() => p.run(db, opts))();
}
