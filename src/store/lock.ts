// One writer per case. Two ingests interleaving their transactions in one case store rows twice
// and take each other's half-written sources for interrupted ones; readers are no problem (WAL:
// they see the last committed state). The writer's identity is a row of `meta`, claimed inside a
// write transaction, so two claims cannot both succeed; a claim whose process is gone (killed
// ingest) is taken over, and the takeover's recovery removes what that run left half-written.
import os from 'node:os';
import type { Db } from './db.js';
import { CaseBusyError } from '../errors.js';

interface Writer {
  pid: number;
  host: string;
  since_ms: number;
}

const KEY = 'writer';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Claims the case for this process, or throws CaseBusyError naming the ingest that holds it. Returns the release. */
export function claimWriter(db: Db, file: string): () => void {
  const me: Writer = { pid: process.pid, host: os.hostname(), since_ms: Date.now() };
  const check = () => {
    const row = db.prepare(`SELECT value FROM meta WHERE key = ?`).get(KEY) as { value: string } | undefined;
    if (!row) return;
    let other: Writer | null = null;
    try {
      other = JSON.parse(row.value) as Writer;
    } catch {
      other = null;
    }
    if (!other || other.pid === me.pid) return;
    const here = other.host === me.host;
    if (!here || alive(other.pid)) {
      throw new CaseBusyError(
        `case database ${file} is being written by another ingest (pid ${other.pid} on ${other.host}, since ${new Date(other.since_ms).toISOString()}); ` +
          `wait for it to finish, or, if no such ingest runs${here ? '' : ' on that host'}, clear the claim with: ` +
          `sqlite3 ${file} "DELETE FROM meta WHERE key='writer'"`,
      );
    }
  };
  // A read first (WAL: never blocked by the writer's open transaction), then the claim itself.
  check();
  const claim = db.transaction(() => {
    check();
    db.prepare(`INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`).run(KEY, JSON.stringify(me));
  });
  claim.immediate();
  return () => {
    db.prepare(`DELETE FROM meta WHERE key = ? AND json_extract(value, '$.pid') = ? AND json_extract(value, '$.host') = ?`).run(KEY, me.pid, me.host);
  };
}
