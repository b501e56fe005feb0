// Journal export / JSON / binary: entry splitting (binary-safe), fields → events, boot anchors
// from kernel entries, message facts with UNIT= filled in, and binary files listed with a warning.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { journalExport } from '../../src/formats/journal-export.js';
import { journalJson } from '../../src/formats/journal-json.js';
import { journalBinary, describeJournalHeader } from '../../src/formats/journal-binary.js';
import type { Probe, Unit } from '../../src/formats/types.js';
import { splitLines } from '../../src/sources/units.js';
import { ingest, listSources } from '../../src/index.js';
import { openCaseDb } from '../../src/store/db.js';
import { runParser, unitsFromText } from '../helpers/run-parser.js';

const SHARED = path.resolve(__dirname, '../../../shared');
const JOURNAL = path.join(SHARED, 'samples-real/journal');

async function* chunksOf(buf: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
}

/** Line units exactly as the pipeline cuts them (CR stripped, offsets of the decoded stream). */
async function entries(buf: Buffer, chunk = 7): Promise<Unit[]> {
  const out: Unit[] = [];
  for await (const u of splitLines(chunksOf(buf, chunk), { onNote: () => {} })) out.push(u);
  return out;
}

/** Lines as `wc -l` counts them, plus one for a last line without its newline. */
function lineCount(buf: Buffer): number {
  let n = 0;
  for (let i = buf.indexOf(10); i >= 0; i = buf.indexOf(10, i + 1)) n++;
  return buf.length && buf[buf.length - 1] !== 10 ? n + 1 : n;
}

async function ingestOne(file: string, db: string) {
  await ingest([file], { db });
  const h = openCaseDb(db, { readonly: true });
  try {
    return listSources(h);
  } finally {
    h.close();
  }
}

function binaryField(name: string, value: string): Buffer {
  const data = Buffer.from(value, 'utf8');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(data.length));
  return Buffer.concat([Buffer.from(name + '\n'), len, data, Buffer.from('\n')]);
}

const KERNEL_ENTRY = [
  '__CURSOR=s=29912846da1c4d1d8d50dd155c553bdc;i=559a;b=9c7f833031f94777aedd645a8789e450;m=1b5e5ab;t=60c857a8cca24;x=64f5dadd7826705a',
  '__REALTIME_TIMESTAMP=1702617286494756',
  '__MONOTONIC_TIMESTAMP=28698027',
  '_SOURCE_MONOTONIC_TIMESTAMP=28701903',
  '_TRANSPORT=kernel',
  'PRIORITY=6',
  '_HOSTNAME=huggy',
  'SYSLOG_IDENTIFIER=kernel',
  '_BOOT_ID=9c7f833031f94777aedd645a8789e450',
  'MESSAGE=parser-daemon[16480]: segfault at 0 ip 0000564ddc58336e sp 00007ffc29ee3220 error 6 in parser-daemon[136e,564ddc583000+1000] likely on CPU 1 (core 1, socket 0)',
  '',
  '',
].join('\n');

describe('journal export entries', () => {
  it('splits entries, keeps binary fields with newlines whole, numbers units by first line', async () => {
    const e2 = Buffer.concat([
      Buffer.from('__REALTIME_TIMESTAMP=1694203364000000\n_HOSTNAME=priceless-mayer\nSYSLOG_IDENTIFIER=systemd-coredump\n_PID=14140\n'),
      binaryField('MESSAGE', 'Process 14134 (test) of user 1000 dumped core.\n\nStack trace of thread 14134:\n#0 0x0 n/a'),
      Buffer.from('COREDUMP_SIGNAL=11\nCOREDUMP_EXE=/usr/local/bin/test\n\n'),
    ]);
    const buf = Buffer.concat([Buffer.from(KERNEL_ENTRY), e2]);
    for (const chunk of [1, 7, 4096]) {
      const us = await entries(buf, chunk);
      expect(us).toHaveLength(lineCount(buf));
      const got = runParser(journalExport, us);
      // rows carry the entries' first lines; the blank lines store them, every other line is a part
      expect(got.events.map((e) => e.unit)).toEqual([1, 12]);
      expect(got.skips).toEqual([]);
      expect(got.parts.length + got.events.length).toBe(us.length);
    }
    const got = runParser(journalExport, await entries(buf));
    expect(got.warnings).toEqual([]);
    expect(got.events).toHaveLength(2);
    expect(got.events[0]).toMatchObject({
      ts_utc_ms: 1702617286494,
      ts_quality: 'exact',
      host: 'huggy',
      program: 'kernel',
      uptime_s: 28.701903,
      boot_key: '9c7f833031f94777aedd645a8789e450',
      severity: 6,
    });
    expect(got.events[1]).toMatchObject({ program: 'systemd-coredump', pid: 14140, ts_utc_ms: 1694203364000 });
    expect(got.events[1].message).toContain('\n\nStack trace');
    expect(got.facts.map((f) => [f.table, f.row.kind ?? f.row.kind])).toEqual([
      ['boot_anchors', 'journal-kernel'],
      ['process_ends', 'segfault'],
      ['process_ends', 'coredump'],
    ]);
    expect(got.facts[0].row).toMatchObject({ host: 'huggy', boot_key: '9c7f833031f94777aedd645a8789e450', uptime_s: 28.701903, ts_utc_ms: 1702617286494 });
    expect(got.facts[1].row).toMatchObject({ pid: 16480, boot_key: '9c7f833031f94777aedd645a8789e450' });
    // the coredump line states no signal; the journal's COREDUMP_SIGNAL and COREDUMP_EXE fill it in
    expect(got.facts[2].row).toMatchObject({ pid: 14134, comm: 'test', signal: 11, exe: '/usr/local/bin/test' });
  });

  it('fills the unit id of v252 start/stop lines from UNIT=', async () => {
    const e = 'UNIT=batch-jobs.service\n__REALTIME_TIMESTAMP=1795297700000000\nSYSLOG_IDENTIFIER=systemd\n_PID=1\nMESSAGE=Stopped Batch jobs.\n\n';
    const got = runParser(journalExport, await entries(Buffer.from(e)));
    expect(got.facts).toEqual([expect.objectContaining({ table: 'services', row: expect.objectContaining({ unit: 'batch-jobs.service', action: 'stopped', detail: 'Batch jobs' }) })]);
  });

  it('a torn last entry and a corrupt binary length are warned about, parsing goes on', async () => {
    const bad = Buffer.concat([Buffer.from('MESSAGE\n'), Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]), Buffer.from('junk\n\n')]);
    const buf = Buffer.concat([bad, Buffer.from('__REALTIME_TIMESTAMP=1000000\nMESSAGE=next\n\n__REALTIME_TIMESTAMP=2000000\nMESSAGE=torn')]);
    const us = await entries(buf);
    expect(us).toHaveLength(8);
    const got = runParser(journalExport, us);
    // the corrupt entry (lines 1-2) is skipped by its blank line 3
    expect(got.skips).toEqual([{ unit: 3, reason: expect.stringMatching(/^no journal fields: binary field MESSAGE has length \d+ beyond the entry/) }]);
    expect(got.events.map((e) => [e.unit, e.message])).toEqual([
      [4, 'next'],
      [7, 'torn'],
    ]);
    expect(got.events[1].ts_utc_ms).toBe(2000);
    expect(got.warnings).toEqual([{ unit: null, message: 'last entry torn (no blank line after it)' }]);
  });

  it('puts binary fields back together when their length or data hold newline or CR bytes', async () => {
    // length 10 starts with a newline byte; the data ends in CR (dropped by the splitter before the terminator)
    const tricky = binaryField('MESSAGE', 'abc\r\ncd\r\n\r');
    expect(tricky.readBigUInt64LE(8)).toBe(10n);
    const buf = Buffer.concat([
      Buffer.from('__REALTIME_TIMESTAMP=1000000\n'),
      tricky,
      binaryField('EMPTY', ''),
      binaryField('NL_LAST', 'x\n'),
      Buffer.from('_PID=5\n\n'),
    ]);
    for (const chunk of [1, 3, 4096]) {
      const us = await entries(buf, chunk);
      expect(us).toHaveLength(lineCount(buf));
      const got = runParser(journalExport, us);
      expect(got.warnings).toEqual([]);
      expect(got.events).toEqual([expect.objectContaining({ unit: 1, message: 'abc\r\ncd\r\n\r', pid: 5, ts_utc_ms: 1000 })]);
      expect(got.parts).toHaveLength(us.length - 1);
    }
  });

  it('a binary field cut by the line cap loses bytes, says so, and the next fields are read', async () => {
    const big = 'y'.repeat(70 * 1024);
    const buf = Buffer.concat([Buffer.from('__REALTIME_TIMESTAMP=1000000\n'), binaryField('MESSAGE', 'a\n' + big), Buffer.from('_PID=3\n\n')]);
    const got = runParser(journalExport, await entries(buf, 4096));
    expect(got.events).toHaveLength(1);
    expect(got.events[0]).toMatchObject({ pid: 3, ts_utc_ms: 1000 });
    expect(got.events[0].message).toHaveLength(2 + big.length);
    expect(got.events[0].message.startsWith('a\nyyy')).toBe(true);
    expect(got.warnings.map((w) => w.message)).toEqual(['binary field MESSAGE: part of its data was lost (line over the length cap)']);
  });

  it('a binary field whose data overruns its newline keeps its declared bytes and warns', async () => {
    const f = binaryField('MESSAGE', 'hello');
    f.writeBigUInt64LE(3n, 8); // says 3 bytes, 5 follow before the newline
    const got = runParser(journalExport, await entries(Buffer.concat([Buffer.from('__REALTIME_TIMESTAMP=1000000\n'), f, Buffer.from('_PID=9\n\n')])));
    expect(got.events).toEqual([expect.objectContaining({ message: 'hel', pid: 9 })]);
    expect(got.warnings.map((w) => w.message)).toEqual(['binary field MESSAGE: no newline after its 3 bytes']);
  });

  it('detects export streams but not syslog', () => {
    const probe = (s: string): Probe => ({ head: Buffer.from(s), name: 'x', path: '/x', size: s.length });
    expect(journalExport.detect(probe(KERNEL_ENTRY))).toBeGreaterThan(50);
    expect(journalExport.detect(probe('PRIORITY=6\n__REALTIME_TIMESTAMP=1\nMESSAGE=x\n\n'))).toBeGreaterThan(50);
    expect(journalExport.detect(probe('Nov 21 16:49:12 vm sshd[16520]: x=1\n'))).toBe(0);
    expect(journalJson.detect(probe('{"__CURSOR":"s=1","MESSAGE":"x"}\n'))).toBeGreaterThan(50);
  });
});

describe('journal JSON', () => {
  it('byte arrays, repeated fields, null MESSAGE, broken lines', () => {
    const lines = [
      JSON.stringify({ __REALTIME_TIMESTAMP: '1702617286494756', MESSAGE: [104, 105, 10, 0x21], _PID: '7', _COMM: 'x', SYSLOG_IDENTIFIER: ['a', 'b'] }),
      JSON.stringify({ __REALTIME_TIMESTAMP: '1702617286494756', MESSAGE: null }),
      '{"__REALTIME_TIMESTAMP":"17026172864',
    ].join('\n');
    const got = runParser(journalJson, unitsFromText(lines));
    expect(got.events.map((e) => [e.message, e.program, e.pid])).toEqual([
      ['hi\n!', 'a', 7],
      ['', null, null],
      ['{"__REALTIME_TIMESTAMP":"17026172864', null, null],
    ]);
    expect(got.warnings.map((w) => w.unit)).toEqual([2, 3]);
  });
});

describe('binary journal', () => {
  it('describes the header and warns with the conversion command, reading no units', () => {
    const h = Buffer.alloc(208);
    h.write('LPKSHHRH', 0, 'latin1');
    h.writeUInt32LE(0x1c, 12);
    h[16] = 2;
    h.writeBigUInt64LE(3n, 152);
    h.writeBigUInt64LE(1780840860655847n, 184);
    h.writeBigUInt64LE(1780840878946000n, 192);
    expect(describeJournalHeader(h)).toContain('state ARCHIVED, flags KEYED-HASH+COMPRESSED-ZSTD+COMPACT');
    expect(describeJournalHeader(h)).toContain('3 entries, 2026-06-07T14:01:00.655Z .. 2026-06-07T14:01:18.946Z');
    expect(journalBinary.detect({ head: h, name: 'system.journal', path: '/x/system.journal', size: 208 })).toBe(100);
  });
});

describe.skipIf(!fs.existsSync(SHARED))('real journal samples', () => {
  it('velociraptor 24.04 export: 3 entries, binary _SELINUX_CONTEXT, exact times', async () => {
    const buf = fs.readFileSync(path.join(JOURNAL, 'velociraptor_2404.journal.DERIVED.export'));
    const us = await entries(buf, 1000);
    expect(us).toHaveLength(85);
    const got = runParser(journalExport, us);
    expect(got.events.map((e) => e.unit)).toEqual([1, 25, 63]);
    expect(got.warnings).toEqual([]);
    expect(got.events.map((e) => [e.ts_utc_ms, e.host, e.program, e.pid])).toEqual([
      [1780843482302, 'dd19d3f1f1a9', 'systemd-journald', 3352],
      [1780843482302, 'dd19d3f1f1a9', 'systemd-journald', 3352],
      [1780843495635, 'dd19d3f1f1a9', 'mytag', 3354],
    ]);
    expect(got.events[0]).toMatchObject({ message: 'Journal started', boot_key: '1621aee481fa42ad9693fe91a054f095', severity: 6 });
  });

  it('velociraptor 20.04 JSON: 3 entries, the >4096-byte MESSAGE is null and warned', async () => {
    const text = fs.readFileSync(path.join(JOURNAL, 'velociraptor_2004.journal.DERIVED.json'), 'utf8');
    const got = runParser(journalJson, unitsFromText(text));
    expect(got.events.map((e) => [e.ts_utc_ms, e.program, e.pid])).toEqual([
      [1780840860655, 'systemd-journald', 1056],
      [1780840860655, 'systemd-journald', 1056],
      [1780840878946, 'mytag', 1058],
    ]);
    expect(got.warnings).toEqual([{ unit: 3, message: expect.stringContaining('MESSAGE is null') }]);
  });

  it('binary journals are detected and listed with the journalctl command', () => {
    for (const name of ['s4_opensuse15_system.journal', 'velociraptor_2004.journal', 'velociraptor_compact.journal']) {
      const p = path.join(JOURNAL, name);
      const head = Buffer.alloc(256);
      const fd = fs.openSync(p, 'r');
      fs.readSync(fd, head, 0, 256, 0);
      fs.closeSync(fd);
      expect(journalBinary.detect({ head, name, path: p, size: null })).toBe(100);
      expect(journalExport.detect({ head, name, path: p, size: null })).toBe(0);
      const got = runParser(journalBinary, [], { path: p });
      expect(got.events).toEqual([]);
      expect(got.warnings).toHaveLength(1);
      expect(got.warnings[0].message).toContain(`journalctl --file ${p} -o export > ${name}.export`);
    }
    const got = runParser(journalBinary, [], { path: path.join(JOURNAL, 'velociraptor_2004.journal') });
    expect(got.warnings[0].message).toContain('3 entries');
  });
});

describe('journal export through the pipeline', () => {
  it('counts every line, binary field lines included, and resumes a grown export with only the new entries', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pf-jexport-'));
    try {
      const file = path.join(dir, 'system.export');
      const db = path.join(dir, 'case.db');
      const multi = Buffer.concat([
        Buffer.from('__REALTIME_TIMESTAMP=1694203364000000\n_HOSTNAME=priceless-mayer\nSYSLOG_IDENTIFIER=systemd-coredump\n_PID=14140\n'),
        binaryField('MESSAGE', 'Process 14134 (test) of user 1000 dumped core.\n\nStack trace of thread 14134:\n#0 0x0 n/a'),
        Buffer.from('COREDUMP_SIGNAL=11\nCOREDUMP_EXE=/usr/local/bin/test\n\n'),
      ]);
      const first = Buffer.concat([Buffer.from(KERNEL_ENTRY), multi]);
      fs.writeFileSync(file, first);
      const [s1] = await ingestOne(file, db);
      expect(lineCount(first)).toBe(23);
      // no 'NUL bytes removed' notes for the binary field's length bytes
      expect(s1).toMatchObject({ format: 'journal-export', units: 23, stored: 23, skipped: 0, warnings: 0, status: 'ok' });
      const h1 = openCaseDb(db, { readonly: true });
      expect(h1.prepare(`SELECT src_line, src_offset, program FROM events ORDER BY src_line`).all()).toEqual([
        { src_line: 1, src_offset: 0, program: 'kernel' },
        { src_line: 12, src_offset: KERNEL_ENTRY.length, program: 'systemd-coredump' },
      ]);
      // facts point at the first line of their entry, where the event row is
      expect(h1.prepare(`SELECT kind, src_line FROM process_ends ORDER BY src_line`).all()).toEqual([
        { kind: 'segfault', src_line: 1 },
        { kind: 'coredump', src_line: 12 },
      ]);
      expect(h1.prepare(`SELECT src_line FROM boot_anchors`).all()).toEqual([{ src_line: 1 }]);
      h1.close();

      const added = '__REALTIME_TIMESTAMP=1694203400000000\nSYSLOG_IDENTIFIER=systemd\n_PID=1\nUNIT=batch-jobs.service\nMESSAGE=Stopped Batch jobs.\n\n';
      fs.appendFileSync(file, added);
      const [s2] = await ingestOne(file, db);
      expect(s2).toMatchObject({ units: 29, stored: 29, skipped: 0, status: 'ok' });
      const h2 = openCaseDb(db, { readonly: true });
      expect(h2.prepare(`SELECT src_line, program FROM events ORDER BY src_line`).all()).toEqual([
        { src_line: 1, program: 'kernel' },
        { src_line: 12, program: 'systemd-coredump' },
        { src_line: 24, program: 'systemd' },
      ]);
      expect((h2.prepare(`SELECT COUNT(*) n FROM process_ends`).get() as { n: number }).n).toBe(2);
      expect((h2.prepare(`SELECT COUNT(*) n FROM boot_anchors`).get() as { n: number }).n).toBe(1);
      expect(h2.prepare(`SELECT unit, src_line FROM services`).all()).toEqual([{ unit: 'batch-jobs.service', src_line: 24 }]);
      h2.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it.skipIf(!fs.existsSync(SHARED))('real export: units equal the line count', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pf-jexport-'));
    try {
      const file = path.join(JOURNAL, 'velociraptor_2404.journal.DERIVED.export');
      const [s] = await ingestOne(file, path.join(dir, 'case.db'));
      expect(s).toMatchObject({ format: 'journal-export', units: lineCount(fs.readFileSync(file)), stored: 85, skipped: 0 });
      expect(s.units).toBe(85);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
