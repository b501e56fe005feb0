// A decompression bomb in the evidence: a 10 MB gzip that expands to 3 GiB is cut at
// the ratio cap, marked damaged with a warning that names the cap, and the rest of the tree is
// read; ordinary logs, however repetitive, are not mistaken for one.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingest, listSources, openCaseDb } from '../../src/index.js';

describe('decompression caps', () => {
  let dir: string;
  let log: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pf-bomb-'));
    log = path.join(dir, 'log');
    fs.mkdirSync(log);
    // 640 gzip members of 16 MiB each of one syslog line repeated (a bomb that passes for a log):
    // about 10 MB on disk, 3 GiB decompressed.
    const line = Buffer.from('2026-11-21T00:00:00.000000+00:00 web-01 app[1]: x\n');
    const member = zlib.gzipSync(Buffer.alloc(16 * 1024 * 1024, line), { level: 9 });
    const fd = fs.openSync(path.join(log, 'syslog.2.gz'), 'w');
    for (let i = 0; i < 200; i++) fs.writeSync(fd, member);
    fs.closeSync(fd);
    // A very repetitive but real log: the same line with a moving stamp, gzip about 30 to 1.
    const t0 = Date.UTC(2026, 10, 21);
    const lines: string[] = [];
    for (let i = 0; i < 400_000; i++) lines.push(`${new Date(t0 + i * 1000).toISOString()} web-01 app[42]: health check ok`);
    fs.writeFileSync(path.join(log, 'syslog.1.gz'), zlib.gzipSync(lines.join('\n') + '\n'));
    fs.writeFileSync(path.join(log, 'syslog'), `${new Date(t0).toISOString()} web-01 app[42]: after the bomb\n`);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('stops the bomb at the ratio cap, says so, and reads the rest of the tree', async () => {
    const bomb = path.join(log, 'syslog.2.gz');
    expect(fs.statSync(bomb).size).toBeLessThan(11 * 1024 * 1024);
    const started = Date.now();
    const db = path.join(dir, 'case.db');
    const r = await ingest([log], { db });
    expect(r.damaged).toBe(1);
    const h = openCaseDb(db, { readonly: true });
    try {
      const byName = new Map(listSources(h).map((s) => [path.basename(s.path), s]));
      expect(byName.get('syslog.2.gz')!.status).toBe('damaged');
      expect(byName.get('syslog.1.gz')).toMatchObject({ status: 'ok', units: 400_000, stored: 400_000 });
      expect(byName.get('syslog')).toMatchObject({ status: 'ok', units: 1 });
      const warning = h.prepare(`SELECT w.message FROM warnings w JOIN sources s ON s.id = w.source_id WHERE s.path = ? AND w.src_line IS NULL`).pluck().get(bomb) as string;
      expect(warning).toMatch(/^decompression stopped after 1[67] MiB: the file expands \d{3,4} to 1, past the cap of 200 to 1 \(a decompression bomb, or raise it with --max-ratio\)/);
      const content = h.prepare(`SELECT content_bytes FROM sources WHERE path = ?`).pluck().get(bomb) as number;
      expect(content).toBeLessThan(20 * 1024 * 1024);
    } finally {
      h.close();
    }
    expect(Date.now() - started).toBeLessThan(60_000);
  }, 120_000);

  it('with the ratio cap raised, the byte cap stops it instead; a rerun goes on from where the cap cut it', async () => {
    const db = path.join(dir, 'raised.db');
    await ingest([path.join(log, 'syslog.2.gz')], { db, maxRatio: 1e9, maxDecompressedBytes: 24 * 1024 * 1024 });
    const read = () => {
      const h = openCaseDb(db, { readonly: true });
      try {
        return {
          bytes: h.prepare(`SELECT content_bytes FROM sources`).pluck().get() as number,
          warning: h.prepare(`SELECT message FROM warnings WHERE src_line IS NULL`).pluck().get() as string,
        };
      } finally {
        h.close();
      }
    };
    const first = read();
    expect(first.warning).toMatch(/^decompression stopped after 24 MiB, the cap for one file \(raise it with --max-decompressed-mib\)/);
    expect(first.bytes).toBeLessThanOrEqual(24 * 1024 * 1024);
    await ingest([path.join(log, 'syslog.2.gz')], { db, maxRatio: 1e9, maxDecompressedBytes: 40 * 1024 * 1024 });
    const second = read();
    expect(second.warning).toMatch(/^decompression stopped after 40 MiB/);
    expect(second.bytes).toBeGreaterThan(first.bytes);
  }, 120_000);
});
