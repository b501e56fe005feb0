// The command line as a user runs it: exit codes, the JSON manifest's exact fields, no stack
// traces, no terminal escapes from log content, and the evidence directory left alone.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { spawnSync } from 'node:child_process';
import Database from 'better-sqlite3';
import { ECS_FIELDS } from '../../src/export/ecs.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const CLI = path.resolve(__dirname, '../../dist/cli/main.js');
const FIX = path.resolve(__dirname, '../fixtures/compression');

function run(args: string[], cwd: string) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pf-cli-'));
  fs.mkdirSync(path.join(dir, 'log'));
  fs.copyFileSync(path.join(FIX, 'syslog.txt'), path.join(dir, 'log', 'syslog'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe.skipIf(!fs.existsSync(CLI))('procforensics CLI', () => {
  it('ingest runs with a bounded heap; one too small for the run is a clear message, not a crash', () => {
    const r = spawnSync(process.execPath, [CLI, 'ingest', path.resolve(__dirname, '../../samples/lab-debian12/var/log'), '--db', 'case.db'], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, PROCFORENSICS_HEAP_MB: '8' },
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^procforensics: ingest needed more than its 8 MiB heap; run it again with PROCFORENSICS_HEAP_MB=16/);
    expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
    // Rerun with the default heap: the same case completes.
    const again = run(['ingest', path.resolve(__dirname, '../../samples/lab-debian12/var/log'), '--db', 'case.db'], dir);
    expect(again.code).toBe(0);
    expect(JSON.parse(run(['incidents', '--db', 'case.db', '--json'], dir).stdout).incidents.length).toBeGreaterThan(10);
  });

  it('ingests, then lists the manifest with exactly the documented fields', () => {
    const ing = run(['ingest', 'log', '--db', 'case.db'], dir);
    expect(ing.code).toBe(0);
    expect(ing.stderr).toMatch(/ingested 1 files: 4 new events/);
    const src = run(['sources', '--db', 'case.db', '--json'], dir);
    expect(src.code).toBe(0);
    const rows = JSON.parse(src.stdout);
    expect(Object.keys(rows[0])).toEqual(['path', 'format', 'compression', 'sha256', 'bytes', 'units', 'stored', 'skipped', 'warnings', 'status']);
    expect(rows[0]).toMatchObject({ path: path.join(fs.realpathSync(dir), 'log', 'syslog'), format: 'syslog', units: 4, stored: 4, skipped: 0, status: 'ok' });
    expect(rows[0].sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('exits 2 on usage errors, with a message and no stack trace', () => {
    const tz = run(['ingest', 'log', '--db', 'case.db', '--tz', 'Mars/Olympus'], dir);
    expect(tz.code).toBe(2);
    expect(tz.stderr).toContain("unknown IANA time zone 'Mars/Olympus'");
    const missing = run(['ingest', 'nope', '--db', 'case.db'], dir);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no such file or directory: nope');
    const bogus = run(['frobnicate'], dir);
    expect(bogus.code).toBe(2);
    for (const r of [tz, missing, bogus]) expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('exits 3 when some input was damaged, after storing the rest', () => {
    const lines = Array.from({ length: 20000 }, (_, i) => `2026-11-21T16:49:11.${String(i).padStart(6, '0')}-05:00 vm app[1]: ${i} ${Math.random()}`);
    const gz = zlib.gzipSync(Buffer.from(lines.join('\n') + '\n'));
    fs.writeFileSync(path.join(dir, 'log', 'syslog.2.gz'), gz.subarray(0, gz.length >> 1));
    const r = run(['ingest', 'log', '--db', 'case.db'], dir);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/syslog\.2\.gz: damaged/);
    const rows = JSON.parse(run(['sources', '--db', 'case.db', '--json'], dir).stdout) as Array<{ path: string; stored: number; status: string }>;
    expect(rows.find((s) => s.path.endsWith('/syslog'))!.stored).toBe(4);
    expect(rows.find((s) => s.path.endsWith('syslog.2.gz'))!.stored).toBeGreaterThan(1000);
  });

  it('refuses to put the default database inside the evidence, and accepts it when named', () => {
    const inside = path.join(dir, 'log');
    const r = run(['ingest', '.'], inside);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('inside the evidence');
    expect(fs.existsSync(path.join(inside, 'procforensics.db'))).toBe(false);
    expect(run(['ingest', '.', '--db', 'here.db', '--quiet'], inside).code).toBe(0);
  });

  it('never prints terminal escapes that came from the evidence', () => {
    const evil = path.join(dir, 'log', 'x\u001b[2Jy');
    fs.writeFileSync(evil, 'not a log\n');
    run(['ingest', 'log', '--db', 'case.db', '--quiet'], dir);
    const out = run(['sources', '--db', 'case.db'], dir).stdout;
    expect(out).not.toContain('\u001b');
    expect(out).toContain('x\\x1b[2Jy');
  });

  it('shows bidi overrides and zero-width characters from the evidence as escapes', () => {
    fs.writeFileSync(path.join(dir, 'log', 'gpj.\u202eexe\u200b'), 'not a log\n');
    run(['ingest', 'log', '--db', 'case.db', '--quiet'], dir);
    const out = run(['sources', '--db', 'case.db'], dir).stdout;
    expect(out).not.toMatch(/[\u202e\u200b]/);
    expect(out).toContain('gpj.\\u202eexe\\u200b');
    // A file named with a newline and a tab keeps to one row of the listing.
    fs.writeFileSync(path.join(dir, 'log', 'two\nrows\tand a tab'), 'not a log\n');
    run(['ingest', 'log', '--db', 'case.db', '--quiet'], dir);
    const rows = run(['sources', '--db', 'case.db'], dir).stdout.trim().split('\n');
    expect(rows.filter((r) => r.includes('two\\nrows\\tand a tab'))).toHaveLength(1);
    expect(rows.every((r) => r.split('\t').length === 8)).toBe(true);
  });

  it('answers -h and -V, and says what is wrong with the environment in one line, with the usage code', () => {
    expect(run(['-h'], dir)).toMatchObject({ code: 0 });
    expect(run(['-h'], dir).stdout).toMatch(/^procforensics <command> \[options\]/);
    expect(run(['-V'], dir).stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    for (const cmd of ['ingest', 'sources', 'incidents', 'report', 'export']) {
      const help = run([cmd, '--help'], dir);
      expect(help.code, cmd).toBe(0);
      expect(help.stdout, cmd).toMatch(new RegExp(`Examples:\\n\\s+procforensics ${cmd} `));
    }
    const none = run(['incidents', '--db', 'nope.db'], dir);
    expect(none).toMatchObject({ code: 2, stdout: '' });
    expect(none.stderr).toBe("procforensics: no case database at nope.db: run 'procforensics ingest EVIDENCE --db nope.db' first\n");
    fs.writeFileSync(path.join(dir, 'notes.db'), 'not sqlite at all\n');
    const bad = run(['sources', '--db', 'notes.db'], dir);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^procforensics: notes\.db is not a procforensics case database/);
    expect(bad.stderr).not.toMatch(/internal error/);
  });

  it('lists incidents as an aligned table with host and id, or one JSON object per line', () => {
    run(['ingest', path.resolve(__dirname, '../../samples/lab-debian12/var/log'), '--db', 'case.db', '--quiet'], dir);
    const lines = run(['incidents', '--db', 'case.db'], dir).stdout.split('\n');
    expect(lines[0]).toMatch(/^TIME \(UTC\)\s+HOST\s+PID\s+COMM\s+CAUSE\s+BY\s+CONF\s+ID$/);
    const idCol = lines[0]!.lastIndexOf(' ID') + 1;
    const rows = lines.filter((l) => /^\d{4}-/.test(l));
    expect(rows.length).toBeGreaterThan(10);
    for (const r of rows) expect(r.slice(idCol)).toMatch(/^vm-\d+-\d+$/);
    const nd = run(['incidents', '--db', 'case.db', '--ndjson'], dir).stdout.trim().split('\n');
    expect(nd.length).toBe(rows.length);
    expect(JSON.parse(nd[0]!)).toMatchObject({ id: rows[0]!.slice(idCol), host: 'vm' });
    // --since counted back from the case's newest line (the host's time, not this machine's clock).
    const h = new Database(path.join(dir, 'case.db'), { readonly: true });
    const newest = h.prepare(`SELECT MAX(ts_max) FROM event_blocks`).pluck().get() as number;
    h.close();
    const listed = nd.map((l) => JSON.parse(l) as { id: string; time: string });
    const recent = run(['incidents', '--db', 'case.db', '--ndjson', '--since', '30s'], dir).stdout.trim().split('\n').map((l) => JSON.parse(l) as { id: string });
    expect(recent.map((i) => i.id)).toEqual(listed.filter((i) => Date.parse(i.time) >= newest - 30_000).map((i) => i.id));
    expect(recent.length).toBeGreaterThan(0);
    expect(recent.length).toBeLessThan(listed.length);
    // report --out x.html writes HTML; --all into a file name is refused.
    const id = rows[0]!.slice(idCol);
    expect(run(['report', '--db', 'case.db', '--incident', id, '--out', 'r.html'], dir).code).toBe(0);
    expect(fs.readFileSync(path.join(dir, 'r.html'), 'utf8')).toMatch(/^<!DOCTYPE html>/);
    // --brief: the evidence and a few rows around it, well under a ticket comment's limit.
    const full = run(['report', '--db', 'case.db', '--incident', id], dir).stdout;
    const brief = run(['report', '--db', 'case.db', '--incident', id, '--brief'], dir).stdout;
    expect(brief.length).toBeLessThan(full.length);
    expect(brief).toContain('**Answer:**');
    const rowsOf = (md: string) => (md.split('```text')[1] ?? '').split('```')[0]!.trim().split('\n').length;
    expect(rowsOf(brief)).toBeLessThanOrEqual(Math.max(10, (brief.match(/^>/gm) ?? []).length + 10));
    const all = run(['report', '--db', 'case.db', '--all', '--out', 'single.md'], dir);
    expect(all.code).toBe(2);
    const intoDir = run(['report', '--db', 'case.db', '--incident', id, '--out', 'log'], dir);
    expect(intoDir.code).toBe(2);
    expect(intoDir.stderr.split('\n')[0]).toBe("procforensics: report: --out 'log' is a directory; name a file (or use --all for a directory of reports)");
    expect(fs.existsSync(path.join(dir, 'single.md'))).toBe(false);
  });

  it('a case copied read-only is listed and reported by another user, and left byte for byte as it was', (ctx) => {
    run(['ingest', path.resolve(__dirname, '../../samples/lab-debian12/var/log'), '--db', 'case.db', '--quiet'], dir);
    // At rest the case is one file: no -wal or -shm for a reader to need or create.
    expect(fs.readdirSync(dir).filter((n) => n.startsWith('case.db'))).toEqual(['case.db']);
    const shared = path.join(dir, 'shared');
    fs.mkdirSync(shared);
    fs.copyFileSync(path.join(dir, 'case.db'), path.join(shared, 'case.db'));
    fs.chmodSync(path.join(shared, 'case.db'), 0o444);
    fs.chmodSync(shared, 0o555);
    fs.chmodSync(dir, 0o755);
    const before = fs.readFileSync(path.join(shared, 'case.db'));
    // As root, permissions stop nothing: the reader is run as nobody (when this checkout is readable to it).
    const asOther = (args: string[]) => {
      const cmd = process.getuid?.() === 0 ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', process.execPath] : [process.execPath];
      const r = spawnSync(cmd[0]!, [...cmd.slice(1), CLI, ...args], { cwd: shared, encoding: 'utf8' });
      return { code: r.status, stdout: r.stdout, stderr: r.stderr };
    };
    // Said as a skip where this checkout is not readable to another user (a private home directory).
    if (asOther(['-V']).code !== 0) ctx.skip();
    for (const args of [['sources', '--json'], ['incidents', '--json'], ['report', '--pid', '25648', '--format', 'json']]) {
      const other = asOther([...args, '--db', path.join(shared, 'case.db')]);
      expect(other.stderr, args[0]).toBe('');
      expect(other.code, args[0]).toBe(0);
      // The same answer as the owner's, but for where the case is and when the report was made.
      const same = (o: string) => o.replace(/"case_db": "[^"]*"/, '').replace(/"generated_at": "[^"]*"/, '');
      expect(same(other.stdout)).toBe(same(run([...args, '--db', path.join(dir, 'case.db')], dir).stdout));
      expect(other.stdout.length).toBeGreaterThan(200);
    }
    // Writing where one may not: one line naming the path and why, the usage code.
    const db = path.join(shared, 'case.db');
    for (const [args, says] of [
      [['ingest', path.resolve(__dirname, '../../samples/lab-debian12/var/log'), '--db', path.join(shared, 'new.db')], `cannot open case database ${path.join(shared, 'new.db')}: the directory ${shared} is not writable (name a case file elsewhere with --db)`],
      [['report', '--db', db, '--pid', '25648', '--out', path.join(shared, 'r.md')], `cannot write ${path.join(shared, 'r.md')}: permission denied`],
      [['export', '--db', db, '--out', path.join(shared, 'x.ndjson')], `cannot write ${path.join(shared, 'x.ndjson')}: permission denied`],
    ] as const) {
      const r = asOther([...args]);
      expect(r.code, args[0]).toBe(2);
      expect(r.stderr.split('\n')[0]).toBe(`procforensics: ${says}`);
      expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
    }
    expect(fs.readdirSync(shared)).toEqual(['case.db']);
    expect(fs.readFileSync(path.join(shared, 'case.db')).equals(before)).toBe(true);
    fs.chmodSync(shared, 0o755);
  });

  it('refuses a case of another schema version untouched, saying what to do', () => {
    for (const [version, says] of [
      ['99', /was written by a newer procforensics \(schema 99; this one reads \d+\): use that version or a newer one/],
      ['2', /has schema 2, older than this procforensics's \d+: ingest the evidence again into a new case/],
    ] as const) {
      const file = path.join(dir, `v${version}.db`);
      const d = new Database(file);
      d.exec(`CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT); CREATE TABLE events (id INTEGER PRIMARY KEY)`);
      d.prepare(`INSERT INTO meta VALUES ('schema_version', ?)`).run(version);
      d.close();
      const before = fs.readFileSync(file);
      for (const cmd of [['ingest', 'log', '--db', file], ['incidents', '--db', file]]) {
        const r = run(cmd, dir);
        expect(r.code).toBe(2);
        expect(r.stderr).toMatch(says);
        expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
      }
      expect(fs.readFileSync(file).equals(before)).toBe(true);
    }
  });
});

describe.skipIf(!fs.existsSync(CLI))('procforensics export', () => {
  it('writes every line and incident as NDJSON with ECS field names only (and procforensics.*)', () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'pf-export-'));
    try {
      expect(run(['ingest', path.resolve(__dirname, '../../samples/lab-debian12/var/log'), '--db', 'case.db', '--quiet'], d).code).toBe(0);
      const r = run(['export', '--db', 'case.db', '--out', 'case.ndjson'], d);
      expect(r.code).toBe(0);
      const docs = fs.readFileSync(path.join(d, 'case.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      const stored = JSON.parse(run(['sources', '--db', 'case.db', '--json'], d).stdout).reduce((a: number, s: { stored: number }) => a + s.stored, 0);
      const incidents = JSON.parse(run(['incidents', '--db', 'case.db', '--json'], d).stdout).incidents.length;
      const kinds = docs.map((x) => (x.event as { kind: string }).kind);
      expect(kinds.filter((k) => k === 'event').length).toBe(stored);
      expect(kinds.filter((k) => k === 'alert').length).toBe(incidents);
      // Every leaf outside procforensics.* is an ECS field of the documented list.
      const leaves = (o: Record<string, unknown>, pre = ''): string[] =>
        Object.entries(o).flatMap(([k, v]) =>
          k === 'procforensics' && !pre ? [] : v && typeof v === 'object' && !Array.isArray(v) ? leaves(v as Record<string, unknown>, `${pre}${k}.`) : [`${pre}${k}`],
        );
      const fields = new Set(docs.flatMap((x) => leaves(x)));
      expect([...fields].filter((f) => !ECS_FIELDS.includes(f))).toEqual([]);
      const sudo = docs.find((x) => (x.event as { id?: string }).id?.startsWith('vm-25648-'))!;
      expect(sudo).toMatchObject({ event: { kind: 'alert', action: 'signal' }, host: { name: 'vm' }, process: { pid: 25648, name: 'ingest-daemon' }, user: { name: 'alice' }, source: { address: '127.0.0.1' } });
      expect(docs.every((x) => typeof x['@timestamp'] === 'string' || x['@timestamp'] === undefined)).toBe(true);
    } finally {
      fs.rmSync(d, { recursive: true, force: true });
    }
  });
});
