// Symlinks in copied evidence: a link that leaves the paths the user gave is listed, never read
// (it would read the analyst's machine); one inside the evidence is read once.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingest, listSources, openCaseDb } from '../../src/index.js';

const LINE = (t: string, msg: string) => `2026-11-21T10:00:0${t}.000000+00:00 web-01 app[42]: ${msg}`;

describe('symlinks in the evidence', () => {
  let dir: string;
  let evidence: string;
  let outside: string;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pf-links-'));
    evidence = path.join(dir, 'evidence', 'var', 'log');
    outside = path.join(dir, 'analyst');
    fs.mkdirSync(evidence, { recursive: true });
    fs.mkdirSync(path.join(outside, 'journal'), { recursive: true });
    fs.writeFileSync(path.join(evidence, 'syslog'), LINE('1', 'inside line') + '\n');
    fs.writeFileSync(path.join(outside, 'secret.log'), LINE('2', 'ANALYST SECRET') + '\n');
    fs.writeFileSync(path.join(outside, 'journal', 'x.log'), LINE('3', 'ANALYST JOURNAL') + '\n');
    // As a copied /var/log has them: absolute links out, a relative link that climbs out, one link in.
    fs.symlinkSync(path.join(outside, 'secret.log'), path.join(evidence, 'messages'));
    fs.symlinkSync(path.join(outside, 'journal'), path.join(evidence, 'journal'));
    fs.symlinkSync('../../../analyst/secret.log', path.join(evidence, 'kern.log'));
    fs.symlinkSync('syslog', path.join(evidence, 'syslog.link'));
    await ingest([path.join(dir, 'evidence')], { db: path.join(dir, 'case.db') });
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('lists links that leave the evidence as outside-evidence, with their target, and reads none of them', () => {
    const db = openCaseDb(path.join(dir, 'case.db'), { readonly: true });
    try {
      const byName = new Map(listSources(db).map((s) => [path.basename(s.path), s]));
      for (const name of ['messages', 'journal', 'kern.log']) {
        expect(byName.get(name)).toMatchObject({ status: 'outside-evidence', units: 0, stored: 0 });
      }
      const notes = db.prepare(`SELECT s.path, w.message FROM warnings w JOIN sources s ON s.id = w.source_id`).all() as Array<{ path: string; message: string }>;
      const noteOf = (name: string) => notes.find((n) => path.basename(n.path) === name)?.message;
      expect(noteOf('messages')).toBe(`symlink to ${path.join(outside, 'secret.log')}, outside the evidence given: not read`);
      expect(noteOf('kern.log')).toBe(`symlink to ../../../analyst/secret.log (${fs.realpathSync(path.join(outside, 'secret.log'))}), outside the evidence given: not read`);
      const text = (db.prepare(`SELECT group_concat(raw, '\n') FROM events`).pluck().get() as string) ?? '';
      expect(text).toContain('inside line');
      expect(text).not.toContain('ANALYST');
      // The link inside the evidence is the same file: read once.
      expect(db.prepare(`SELECT COUNT(*) FROM events WHERE message = 'inside line'`).pluck().get()).toBe(1);
      expect(byName.has('syslog.link')).toBe(false);
    } finally {
      db.close();
    }
  });

  it('reads a link the user gave as the input itself (that is the evidence they chose)', async () => {
    const link = path.join(dir, 'chosen');
    fs.symlinkSync(outside, link);
    const db2 = path.join(dir, 'chosen.db');
    await ingest([link], { db: db2 });
    const db = openCaseDb(db2, { readonly: true });
    try {
      expect(db.prepare(`SELECT COUNT(*) FROM events WHERE message LIKE 'ANALYST%'`).pluck().get()).toBe(2);
    } finally {
      db.close();
    }
  });
});

describe('a sosreport-like tree', () => {
  it("takes the host's zone from etc/localtime's link, and counts its dangling link without a warning", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pf-sos-'));
    try {
      const sos = path.join(dir, 'sosreport-vm-2026-12-01');
      fs.mkdirSync(path.join(sos, 'etc'), { recursive: true });
      fs.mkdirSync(path.join(sos, 'var/log'), { recursive: true });
      // As sos copies it: the link's target is not in the report (nor, here, on this machine).
      fs.symlinkSync('/nonexistent-zoneinfo-root/usr/share/zoneinfo/Asia/Tokyo', path.join(sos, 'etc/localtime'));
      fs.writeFileSync(path.join(sos, 'var/log/messages'), 'Dec  1 16:36:15 vm app[7]: started\n');
      const mtime = new Date(Date.UTC(2026, 11, 2));
      fs.utimesSync(path.join(sos, 'var/log/messages'), mtime, mtime);
      const db = path.join(dir, 'case.db');
      const r = await ingest([sos], { db });
      expect(r.damaged).toBe(0);
      expect(r.sources.some((s) => s.status === 'unreadable')).toBe(false);
      const h = openCaseDb(db, { readonly: true });
      try {
        const link = h.prepare(`SELECT status, warnings, note FROM sources WHERE path LIKE '%/etc/localtime'`).get() as { status: string; warnings: number; note: string };
        expect(link).toMatchObject({ status: 'dangling-symlink', warnings: 0 });
        expect(link.note).toContain('/usr/share/zoneinfo/Asia/Tokyo');
        const t = h.prepare(`SELECT e.ts_utc_ms FROM events e JOIN sources s ON s.id = e.source_id WHERE s.path LIKE '%/messages'`).pluck().get() as number;
        expect(new Date(t).toISOString()).toBe('2026-12-01T07:36:15.000Z');
        expect(h.prepare(`SELECT value FROM meta WHERE key = 'tz_evidence'`).pluck().get()).toMatch(/^Asia\/Tokyo \(the target of .*etc\/localtime\)$/);
      } finally {
        h.close();
      }
      // A rerun finds the link as it was: everything unchanged, so the whole-case passes are not redone.
      const derivedAt = () => {
        const x = openCaseDb(db, { readonly: true });
        const v = x.prepare(`SELECT value FROM meta WHERE key = 'derived_at'`).pluck().get();
        x.close();
        return v;
      };
      const before = derivedAt();
      const again = await ingest([sos], { db });
      expect(again.sources.map((s) => s.status)).toEqual(again.sources.map(() => 'unchanged'));
      expect(derivedAt()).toBe(before);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
