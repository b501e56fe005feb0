// A tarball of the evidence is read as the tree it holds: the same incidents as the tree, each
// entry listed as `archive!path`, read from the archive itself (nothing extracted), and an entry
// that tries to climb out of the archive (`../x`) refused.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import fc from 'fast-check';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findIncidents, ingest, listSources, openCaseDb } from '../../src/index.js';
import type { Incident } from '../../src/correlate/types.js';
import { makeZip } from '../helpers/zip.js';

const SAMPLE = path.resolve(__dirname, '../../samples/lab-debian12');
const hasTar = spawnSync('tar', ['--version']).status === 0;

const verdicts = (list: Incident[]) => list.map((i) => [i.pid, i.cause, i.signal, i.comm, i.actor.user, i.actor.via, i.actor.from_host, i.time]).sort();

async function incidentsOf(inputs: string[], db: string) {
  await ingest(inputs, { db });
  const h = openCaseDb(db, { readonly: true });
  try {
    return { incidents: findIncidents(h), sources: listSources(h) };
  } finally {
    h.close();
  }
}

/** One ustar header block (512 bytes) for a regular file. */
function tarHeader(name: string, size: number): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0, 100, 'utf8');
  h.write('0000644\0', 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write(size.toString(8).padStart(11, '0') + '\0', 124);
  h.write((1796160000).toString(8).padStart(11, '0') + '\0', 136);
  h.write('        ', 148);
  h[156] = '0'.charCodeAt(0);
  h.write('ustar\0', 257);
  h.write('00', 263);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
  return h;
}

describe('tar archives as evidence', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pf-tar-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it.skipIf(!hasTar)('a tar in every compression gives the incidents of the tree, read in place: nothing is written to disk', async () => {
    const kinds = [
      ['-cf', 'tar'],
      ['-czf', 'tar.gz'],
      ['-cJf', 'tar.xz'],
      ['-cjf', 'tar.bz2'],
      ['--zstd -cf', 'tar.zst'],
    ] as const;
    for (const [flags, ext] of kinds) {
      const r = spawnSync('tar', [...flags.split(' '), path.join(dir, `lab.${ext}`), '-C', SAMPLE, 'var', 'home', 'dmesg-T.txt']);
      expect(r.status, `tar ${flags}: ${r.stderr}`).toBe(0);
    }
    const tree = await incidentsOf([path.join(SAMPLE, 'var'), path.join(SAMPLE, 'home'), path.join(SAMPLE, 'dmesg-T.txt')], path.join(dir, 'tree.db'));
    expect(tree.incidents.length).toBeGreaterThanOrEqual(15);
    // The temporary directory the ingest would extract into stays empty.
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'pf-scratch-'));
    const tmpBefore = process.env.TMPDIR;
    process.env.TMPDIR = scratch;
    try {
      // The last run keeps no entry in memory: every read of it goes through the cursor, out of
      // the archive's order (exact-time formats first, each rotation family oldest first).
      for (const [ext, memory] of [...kinds.map(([, e]) => [e, undefined] as const), ['tar.gz', 0] as const]) {
        const archive = path.join(dir, `lab.${ext}`);
        const db = path.join(dir, `${ext}-${memory ?? 'default'}.db`);
        await ingest([archive], { db, archiveMemoryBytes: memory });
        const h = openCaseDb(db, { readonly: true });
        const got = { incidents: findIncidents(h), sources: listSources(h) };
        h.close();
        expect(verdicts(got.incidents), ext).toEqual(verdicts(tree.incidents));
        const byPath = new Map(got.sources.map((s) => [s.path, s]));
        expect(byPath.get(archive)).toMatchObject({ format: 'tar', status: 'archive' });
        expect(byPath.get(`${archive}!var/log/auth.log.3.bz2`)).toMatchObject({ format: 'syslog', compression: 'bzip2', status: 'ok' });
        expect(byPath.get(`${archive}!var/log/lastlog`)).toMatchObject({ format: 'lastlog', status: 'ok' });
        // Each entry stores what the same file of the tree stores.
        const inTree = new Map(tree.sources.map((s) => [path.relative(SAMPLE, s.path), s]));
        for (const s of got.sources.filter((x) => x.path.startsWith(`${archive}!`))) {
          const t = inTree.get(s.path.slice(archive.length + 1))!;
          expect([s.format, s.units, s.stored, s.skipped, s.warnings], s.path).toEqual([t.format, t.units, t.stored, t.skipped, t.warnings]);
        }
        // Evidence cites the archive entry.
        const cited = got.incidents.flatMap((i) => i.evidence.map((e) => e.source));
        expect(cited.every((s) => s.startsWith(`${archive}!`))).toBe(true);
        // A second run over the unchanged archive stores nothing new, and reads nothing but its
        // size, mtime and first and last MiB; --verify decodes it all again, to the same result.
        const entries = got.sources.filter((x) => x.path.startsWith(`${archive}!`)).length;
        const again = await ingest([archive], { db, archiveMemoryBytes: memory });
        expect([again.newEvents, again.unchanged, again.files], ext).toEqual([0, entries, entries]);
        const verified = await ingest([archive], { db, archiveMemoryBytes: memory, verify: true });
        expect([verified.newEvents, verified.unchanged, verified.files], ext).toEqual([0, entries, entries]);
        const h2 = openCaseDb(db, { readonly: true });
        expect(verdicts(findIncidents(h2)), ext).toEqual(verdicts(tree.incidents));
        h2.close();
      }
    } finally {
      if (tmpBefore === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = tmpBefore;
    }
    expect(fs.readdirSync(scratch)).toEqual([]);
    fs.rmSync(scratch, { recursive: true });
  }, 120_000);

  it.skipIf(!hasTar)('a rerun with a changed tree beside an unchanged archive reads the tree only, to the result of a fresh ingest', async () => {
    const archive = path.join(dir, 'rerun.tar.gz');
    expect(spawnSync('tar', ['-czf', archive, '-C', SAMPLE, 'var']).status).toBe(0);
    const extra = path.join(dir, 'rerun-extra');
    fs.mkdirSync(extra, { recursive: true });
    const db = path.join(dir, 'rerun.db');
    await ingest([archive, extra], { db });
    fs.writeFileSync(path.join(extra, 'syslog'), '2026-12-01T17:00:00.000000-05:00 vm app[99]: written after the first ingest\n');
    const listed: string[] = [];
    const again = await ingest([archive, extra], { db, onProgress: (p) => p.current?.endsWith('(listing the archive)') && listed.push(p.current) });
    expect(listed).toEqual([]); // the archive was not decoded again
    expect(again.newEvents).toBe(1);
    expect(again.unchanged).toBe(again.files - 1);
    const fresh = path.join(dir, 'rerun-fresh.db');
    await ingest([archive, extra], { db: fresh });
    const of = (file: string) => {
      const h = openCaseDb(file, { readonly: true });
      try {
        return { verdicts: verdicts(findIncidents(h)), sources: listSources(h).map((x) => [x.path, x.units, x.stored]) };
      } finally {
        h.close();
      }
    };
    expect(of(db)).toEqual(of(fresh));
  }, 60_000);

  it('a .zip of the sample (stored and deflated entries) gives the incidents of the tree', async () => {
    const root = path.join(SAMPLE, 'var/log');
    const names: string[] = [];
    const walk = (d: string) => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        if (e.isDirectory()) walk(path.join(d, e.name));
        else names.push(path.relative(SAMPLE, path.join(d, e.name)));
      }
    };
    walk(root);
    const archive = makeZip(names.sort().map((name, k) => ({ name, data: fs.readFileSync(path.join(SAMPLE, name)), deflate: k % 2 === 0 })));
    const zip = path.join(dir, 'varlog.zip');
    fs.writeFileSync(zip, archive);
    const tree = await incidentsOf([root], path.join(dir, 'tree-log.db'));
    const got = await incidentsOf([zip], path.join(dir, 'zip.db'));
    expect(verdicts(got.incidents)).toEqual(verdicts(tree.incidents));
    // The same as ZIP64, as a writer makes it past 4 GiB: counts, sizes and offsets in ZIP64 fields.
    const zip64 = path.join(dir, 'varlog64.zip');
    fs.writeFileSync(zip64, makeZip(names.map((name, k) => ({ name, data: fs.readFileSync(path.join(SAMPLE, name)), deflate: k % 2 === 0 })), { zip64: true }));
    const got64 = await incidentsOf([zip64], path.join(dir, 'zip64.db'));
    expect(verdicts(got64.incidents)).toEqual(verdicts(tree.incidents));
    expect(got64.sources.filter((s) => s.path.startsWith(`${zip64}!`)).length).toBe(names.length);
    expect(got.sources.find((s) => s.path === zip)).toMatchObject({ format: 'zip', status: 'archive' });
    expect(got.sources.find((s) => s.path === `${zip}!var/log/kern.log.1.xz`)).toMatchObject({ format: 'syslog', compression: 'xz', status: 'ok' });
  }, 60_000);

  it.skipIf(!hasTar)('a zip holding a tarball (deflated) is read as the tree inside, entries named through both', async () => {
    const tar = path.join(dir, 'inner.tar');
    expect(spawnSync('tar', ['-cf', tar, '-C', SAMPLE, 'var']).status).toBe(0);
    const zip = path.join(dir, 'ticket-4711.zip');
    fs.writeFileSync(zip, makeZip([{ name: 'attachments/varlog.tar', data: fs.readFileSync(tar), deflate: true }]));
    const tree = await incidentsOf([path.join(SAMPLE, 'var')], path.join(dir, 'tree-var.db'));
    const got = await incidentsOf([zip], path.join(dir, 'nested.db'));
    expect(verdicts(got.incidents)).toEqual(verdicts(tree.incidents));
    const byPath = new Map(got.sources.map((s) => [s.path, s]));
    expect(byPath.get(`${zip}!attachments/varlog.tar`)).toMatchObject({ format: 'tar', status: 'archive' });
    expect(byPath.get(`${zip}!attachments/varlog.tar!var/log/kern.log.2.xz`)).toMatchObject({ format: 'syslog', compression: 'xz', status: 'ok' });
  }, 60_000);

  it('an archive cut inside an entry keeps what is there: the entries before it whole, that one damaged as far as it goes', async () => {
    const line = (i: number) => `2026-12-01T16:${String(i % 60).padStart(2, '0')}:00.000000-05:00 vm app[42]: line ${i}\n`;
    const whole = Buffer.from(Array.from({ length: 40 }, (_, i) => line(i)).join(''));
    const pad = (b: Buffer) => Buffer.concat([b, Buffer.alloc((512 - (b.length % 512)) % 512)]);
    const tar = Buffer.concat([tarHeader('var/log/syslog.1', whole.length), pad(whole), tarHeader('var/log/syslog', whole.length), pad(whole), Buffer.alloc(1024)]);
    // Cut 1000 bytes into the second entry's data.
    const cutAt = 512 + pad(whole).length + 512 + 1000;
    for (const [name, bytes] of [
      ['cut.tar', tar.subarray(0, cutAt)],
      ['cut.tar.gz', zlib.gzipSync(tar.subarray(0, cutAt))],
    ] as const) {
      const file = path.join(dir, name);
      fs.writeFileSync(file, bytes);
      const db = path.join(dir, `${name}.db`);
      const result = await ingest([file], { db });
      expect(result.damaged, name).toBe(2);
      const h = openCaseDb(db, { readonly: true });
      try {
        const byPath = new Map(listSources(h).map((s) => [s.path, s]));
        expect(byPath.get(file)).toMatchObject({ status: 'damaged' });
        expect(byPath.get(`${file}!var/log/syslog.1`)).toMatchObject({ status: 'ok', stored: 40, warnings: 0 });
        const cut = byPath.get(`${file}!var/log/syslog`)!;
        expect(cut).toMatchObject({ status: 'damaged' });
        // 1000 bytes hold 15 whole lines of 65 bytes and a torn 16th, which is kept.
        expect(cut.stored).toBe(Math.ceil(1000 / line(0).length));
        const why = h.prepare(`SELECT message FROM warnings w JOIN sources s ON s.id = w.source_id WHERE s.path = ? AND w.src_line IS NULL`).pluck().all(`${file}!var/log/syslog`);
        expect(why).toEqual([`the archive ends inside this entry: 1000 of its ${whole.length} bytes are there (in ${file}!var/log/syslog); every line before it was kept`]);
      } finally {
        h.close();
      }
    }
  });

  it.skipIf(!hasTar)("lists a tar's links with their targets: a symlinked etc/localtime gives the zone, a hard link reads the entry it names", async () => {
    const root = path.join(dir, 'links');
    fs.mkdirSync(path.join(root, 'etc'), { recursive: true });
    fs.mkdirSync(path.join(root, 'var/log'), { recursive: true });
    fs.writeFileSync(path.join(root, 'var/log/messages'), 'Dec  1 10:00:00 vm app[42]: local time in the host zone\n');
    fs.linkSync(path.join(root, 'var/log/messages'), path.join(root, 'var/log/messages.hardlink'));
    fs.symlinkSync('/usr/share/zoneinfo/America/Chicago', path.join(root, 'etc/localtime'));
    const file = path.join(dir, 'links.tar.gz');
    expect(spawnSync('tar', ['-czf', file, '-C', root, 'etc', 'var']).status).toBe(0);
    const db = path.join(dir, 'links.db');
    const result = await ingest([file], { db });
    expect(result.warnings).toBe(0);
    const h = openCaseDb(db, { readonly: true });
    try {
      const byPath = new Map(listSources(h).map((s) => [s.path, s]));
      expect(byPath.get(`${file}!etc/localtime`)).toMatchObject({ status: 'dangling-symlink', warnings: 0 });
      expect(h.prepare(`SELECT value FROM meta WHERE key = 'tz_evidence'`).pluck().get()).toBe(`America/Chicago (the target of ${file}!etc/localtime)`);
      // One of the two names is the tar's hard link; both read the same bytes.
      expect(byPath.get(`${file}!var/log/messages`)).toMatchObject({ format: 'syslog-traditional', stored: 1 });
      const copy = byPath.get(`${file}!var/log/messages.hardlink`)!;
      expect(copy.units).toBe(1);
      // 10:00 CST is 16:00 UTC.
      const ts = h.prepare(`SELECT ts_utc_ms FROM events e JOIN sources s ON s.id = e.source_id WHERE s.path = ?`).pluck().get(`${file}!var/log/messages`) as number;
      expect(new Date(ts).toISOString().slice(5, 16)).toBe('12-01T16:00');
    } finally {
      h.close();
    }
  });

  it('refuses an entry that climbs out of the archive and reads the rest', async () => {
    const line = Buffer.from('2026-12-01T16:00:00.000000-05:00 vm app[42]: inside the archive\n');
    const pad = (b: Buffer) => Buffer.concat([b, Buffer.alloc((512 - (b.length % 512)) % 512)]);
    const tar = Buffer.concat([
      tarHeader('../../escaped.log', line.length),
      pad(line),
      tarHeader('var/log/syslog', line.length),
      pad(line),
      Buffer.alloc(1024),
    ]);
    const file = path.join(dir, 'evil.tgz');
    fs.writeFileSync(file, zlib.gzipSync(tar));
    const got = await incidentsOf([file], path.join(dir, 'evil.db'));
    const byPath = new Map(got.sources.map((s) => [s.path, s]));
    expect(byPath.get(`${file}!var/log/syslog`)).toMatchObject({ status: 'ok', units: 1, stored: 1 });
    expect([...byPath.keys()].some((p) => p.includes('escaped'))).toBe(false);
    expect(fs.existsSync(path.join(os.tmpdir(), 'escaped.log'))).toBe(false);
    const h = openCaseDb(path.join(dir, 'evil.db'), { readonly: true });
    try {
      expect(h.prepare(`SELECT note FROM sources WHERE path = ?`).pluck().get(file)).toMatch(/not read: \.\.\/\.\.\/escaped\.log: a path outside the archive's tree/);
    } finally {
      h.close();
    }
  });
});

describe('damaged archives', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pf-tar-damage-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  // Three entries of known lines: every entry whose bytes the damage did not touch is stored whole.
  const body = (k: number) => Buffer.from(Array.from({ length: 30 }, (_, i) => `2026-12-01T16:${String(i).padStart(2, '0')}:0${k}.000000-05:00 vm app[4${k}]: entry ${k} line ${i}\n`).join(''));
  const pad = (b: Buffer) => Buffer.concat([b, Buffer.alloc((512 - (b.length % 512)) % 512)]);
  const names = ['var/log/a.log', 'var/log/b.log', 'var/log/c.log'];
  const parts = names.map((n, k) => Buffer.concat([tarHeader(n, body(k).length), pad(body(k))]));
  const tar = Buffer.concat([...parts, Buffer.alloc(1024)]);
  const spans = parts.map((p, k) => ({ from: parts.slice(0, k).reduce((a, x) => a + x.length, 0), to: parts.slice(0, k + 1).reduce((a, x) => a + x.length, 0) }));

  it('a zip entry whose deflate stream is damaged is damaged; the other entries are read', async () => {
    const data = Buffer.concat(Array.from({ length: 4 }, () => fs.readFileSync(path.join(SAMPLE, 'var/log/kern.log'))));
    const zip = makeZip([
      { name: 'var/log/a.log', data, deflate: true },
      { name: 'var/log/b.log', data, deflate: true },
    ]);
    zip[30 + 'var/log/a.log'.length + 40] ^= 0xff; // inside a.log's deflate data, near its start
    const file = path.join(dir, 'damaged.zip');
    fs.writeFileSync(file, zip);
    const result = await ingest([file], { db: path.join(dir, 'damaged-zip.db') });
    expect(result.damaged).toBe(1);
    const h = openCaseDb(path.join(dir, 'damaged-zip.db'), { readonly: true });
    try {
      const byPath = new Map(listSources(h).map((s) => [s.path, s]));
      expect(byPath.get(`${file}!var/log/a.log`)).toMatchObject({ status: 'damaged' });
      expect(byPath.get(`${file}!var/log/b.log`)).toMatchObject({ status: 'ok', stored: data.toString().trim().split('\n').length, warnings: 0 });
      const why = h.prepare(`SELECT message FROM warnings w JOIN sources s ON s.id = w.source_id WHERE s.path = ?`).pluck().all(`${file}!var/log/a.log`) as string[];
      expect(why.join(' ')).toMatch(/invalid|incorrect|damaged/);
    } finally {
      h.close();
    }
  });

  it('a flipped byte, a cut or both never stop the rest: untouched entries whole, the archive damaged and said so', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: tar.length - 1 }),
        fc.integer({ min: 1, max: 255 }),
        fc.integer({ min: 512, max: tar.length }),
        fc.boolean(),
        async (at, xor, cutAt, gzip) => {
          const bad = Buffer.from(tar.subarray(0, cutAt));
          if (at < bad.length) bad[at] ^= xor;
          const file = path.join(dir, `d${run++}.tar${gzip ? '.gz' : ''}`);
          fs.writeFileSync(file, gzip ? zlib.gzipSync(bad) : bad);
          const db = file + '.db';
          const result = await ingest([file], { db });
          const h = openCaseDb(db, { readonly: true });
          try {
            const byPath = new Map(listSources(h).map((s) => [s.path, s]));
            for (const s of byPath.values()) expect(s.stored + s.skipped, s.path).toBe(s.units);
            const archive = byPath.get(file);
            // The first header damaged: the file is no tar any more, and is listed as what it is.
            if (at < 512) return;
            expect(archive?.format).toBe('tar');
            spans.forEach((sp, k) => {
              const touched = (at >= sp.from && at < sp.to) || cutAt < sp.to;
              if (touched) return;
              expect(byPath.get(`${file}!${names[k]}`), `entry ${k} untouched (flip at ${at}, cut at ${cutAt})`).toMatchObject({ status: 'ok', stored: 30, warnings: 0 });
            });
            // A flipped header byte fails its checksum; a cut before the first end block leaves the
            // archive unterminated. Both are said. (A flipped data byte is not detectable: tar keeps
            // no checksum of data.)
            const end = spans[2]!.to;
            const headerFlip = at < cutAt && (spans.some((sp) => at >= sp.from && at < sp.from + 512) || (at >= end && at < end + 512));
            const unterminated = cutAt < end + 512;
            if (headerFlip || unterminated) expect(archive?.status, `flip at ${at}, cut at ${cutAt}`).toBe('damaged');
            if (!headerFlip && !unterminated) expect(archive?.status, `flip at ${at}, cut at ${cutAt}`).toBe('archive');
            expect(result.damaged > 0).toBe(archive?.status === 'damaged' || [...byPath.values()].some((x) => x.status === 'damaged'));
          } finally {
            h.close();
          }
        },
      ),
      { numRuns: 40, seed: 20261202 },
    );
  }, 120_000);
});
