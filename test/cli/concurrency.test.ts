// One writer per case, as two real processes see it: a second ingest on a case being written is
// refused (exit 5, naming the other process) while readers keep working; a claim left by a killed
// ingest is taken over; whatever the mix, the case ends equal to a clean run.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const CLI = path.resolve(__dirname, '../../dist/cli/main.js');

function run(args: string[], cwd: string) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The claim row, read without the tool (null while nobody writes). */
function writerClaim(dbFile: string): { pid: number } | null {
  if (!fs.existsSync(dbFile)) return null;
  try {
    const db = new Database(dbFile, { readonly: true, timeout: 100 });
    try {
      const r = db.prepare(`SELECT value FROM meta WHERE key = 'writer'`).get() as { value: string } | undefined;
      return r ? (JSON.parse(r.value) as { pid: number }) : null;
    } finally {
      db.close();
    }
  } catch {
    return null;
  }
}

async function until(cond: () => boolean, ms = 20000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

function totals(dir: string, db: string) {
  const sources = JSON.parse(run(['sources', '--db', db, '--json'], dir).stdout) as Array<{ path: string; units: number; stored: number; status: string }>;
  return sources.map((s) => [path.basename(s.path), s.units, s.stored, s.status]);
}

describe.skipIf(!fs.existsSync(CLI))('two ingests on one case', () => {
  let dir: string;
  let log: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pf-race-'));
    log = path.join(dir, 'log');
    fs.mkdirSync(log);
    // Big enough that the first ingest is still writing when the second starts.
    const t0 = Date.UTC(2026, 10, 21, 0, 0, 0);
    const lines: string[] = [];
    for (let i = 0; i < 250_000; i++) lines.push(`${new Date(t0 + i * 100).toISOString()} web-01 app[${1000 + (i % 500)}]: request ${i} served`);
    fs.writeFileSync(path.join(log, 'syslog'), lines.join('\n') + '\n');
    fs.writeFileSync(path.join(log, 'auth.log'), `${new Date(t0).toISOString()} web-01 sshd[77]: Accepted publickey for alice from 10.0.0.5 port 4000 ssh2\n`);
    expect(run(['ingest', log, '--db', 'clean.db'], dir).code).toBe(0);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('refuses the second writer with exit 5 and the first one\'s pid; readers work meanwhile; the result equals a clean run', async () => {
    const db = path.join(dir, 'race.db');
    const first = spawn(process.execPath, [CLI, 'ingest', log, '--db', db], { cwd: dir, stdio: 'ignore' });
    const done = new Promise<number | null>((r) => first.on('exit', (c) => r(c)));
    await until(() => writerClaim(db) !== null);
    // Held still while the others run, at a few points of its work (some inside a write
    // transaction): the first is writing, whatever the machine's speed.
    for (let round = 0; round < 3; round++) {
      first.kill('SIGSTOP');
      const second = run(['ingest', log, '--db', db], dir);
      expect(second.code, second.stderr).toBe(5);
      expect(second.stderr).toContain(`being written by another ingest (pid ${first.pid} on ${os.hostname()}`);
      // A reader during the write: the last complete state (the running file is not listed yet).
      const during = run(['sources', '--db', db, '--json'], dir);
      expect(during.code, during.stderr).toBe(0);
      expect(Array.isArray(JSON.parse(during.stdout))).toBe(true);
      first.kill('SIGCONT');
      await new Promise((r) => setTimeout(r, 150));
    }
    expect(await done).toBe(0);
    expect(writerClaim(db)).toBeNull();
    expect(totals(dir, 'race.db')).toEqual(totals(dir, 'clean.db'));
  }, 60000);

  it('takes over the claim of a killed ingest, and ends equal to a clean run', async () => {
    const db = path.join(dir, 'killed.db');
    const first = spawn(process.execPath, [CLI, 'ingest', log, '--db', db], { cwd: dir, stdio: 'ignore' });
    const exited = new Promise<void>((r) => first.on('exit', () => r()));
    await until(() => writerClaim(db) !== null);
    first.kill('SIGKILL');
    await exited;
    expect(writerClaim(db)?.pid).toBe(first.pid);
    const again = run(['ingest', log, '--db', 'killed.db'], dir);
    expect(again.code).toBe(0);
    expect(totals(dir, 'killed.db')).toEqual(totals(dir, 'clean.db'));
    const ev = (f: string) => {
      const d = new Database(path.join(dir, f), { readonly: true });
      try {
        return d.prepare(`SELECT SUM(lines) AS n, SUM(last_line) AS s FROM event_blocks`).get();
      } finally {
        d.close();
      }
    };
    expect(ev('killed.db')).toEqual(ev('clean.db'));
  }, 60000);
});
