// Builds a small /var/log in a temp dir from real-looking log text (and binary pacct/wtmp records),
// ingests it through the public API and returns the incidents. Shared by the correlation fixture tests.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findIncidents, ingest, openCaseDb } from '../../src/index.js';
import type { Incident, IncidentFilter } from '../../src/correlate/types.js';

export interface Case {
  dir: string;
  /** Absolute path of a fixture file. */
  file(name: string): string;
  incidents(filter?: IncidentFilter): Incident[];
  close(): void;
}

/** Writes `files` (relative path → text or bytes) and ingests the directory into a fresh case db. */
export async function buildCase(files: Record<string, string | Buffer>): Promise<Case> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pf-fix-'));
  const logDir = path.join(dir, 'var/log');
  for (const [name, body] of Object.entries(files)) {
    const p = path.join(logDir, name);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, typeof body === 'string' ? body.replace(/^\n/, '') : body);
  }
  const dbFile = path.join(dir, 'case.db');
  await ingest([logDir], { db: dbFile, tz: null, bootTime: null });
  const db = openCaseDb(dbFile);
  return {
    dir,
    file: (name) => fs.realpathSync(path.join(logDir, name)),
    incidents: (filter) => findIncidents(db, filter),
    close: () => {
      db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** 1-based line number of the first line of `text` containing `needle`. */
export function lineOf(text: string, needle: string): number {
  const lines = text.replace(/^\n/, '').split('\n');
  const i = lines.findIndex((l) => l.includes(needle));
  if (i < 0) throw new Error(`fixture has no line with ${needle}`);
  return i + 1;
}

/** One acct v3 record (include/uapi/linux/acct.h, little-endian), 64 bytes. */
export function acctV3(f: {
  flags?: number; exitStatus: number; uid?: number; pid: number; ppid: number; btime_s: number; elapsed_s: number; comm: string;
}): Buffer {
  const b = Buffer.alloc(64);
  b[0] = f.flags ?? 0;
  b[1] = 3; // ac_version
  b.writeUInt32LE(f.exitStatus, 4); // wait(2) status: signal in the low 7 bits, exit code << 8
  b.writeUInt32LE(f.uid ?? 0, 8);
  b.writeUInt32LE(f.uid ?? 0, 12);
  b.writeUInt32LE(f.pid, 16);
  b.writeUInt32LE(f.ppid, 20);
  b.writeUInt32LE(f.btime_s, 24);
  b.writeFloatLE(f.elapsed_s * 100, 28); // AHZ = 100 ticks per second
  b.write(f.comm, 48, 15, 'latin1');
  return b;
}

/** One glibc x86_64 struct utmp record (384 bytes). */
export function utmpRecord(f: { type: number; pid: number; line: string; id: string; user: string; host: string; sec: number; usec?: number }): Buffer {
  const b = Buffer.alloc(384);
  b.writeInt16LE(f.type, 0);
  b.writeInt32LE(f.pid, 4);
  b.write(f.line, 8, 32, 'latin1');
  b.write(f.id, 40, 4, 'latin1');
  b.write(f.user, 44, 32, 'latin1');
  b.write(f.host, 76, 256, 'latin1');
  b.writeInt32LE(f.sec, 340);
  b.writeInt32LE(f.usec ?? 0, 344);
  return b;
}

export const UT = { RUN_LVL: 1, BOOT_TIME: 2, LOGIN_PROCESS: 6, USER_PROCESS: 7, DEAD_PROCESS: 8 } as const;

export function isoSec(epochS: number): string {
  return new Date(epochS * 1000).toISOString().replace('.000Z', 'Z');
}
