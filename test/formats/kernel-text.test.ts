// Kernel messages without timestamps (console captures, reports pasted into mails).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { kernelText } from '../../src/formats/kernel-text.js';
import type { Probe } from '../../src/formats/types.js';
import { FORMATS } from '../../src/formats/registry.js';
import { findIncidents, ingest, openCaseDb } from '../../src/index.js';
import { runParser, unitsFromText } from '../helpers/run-parser.js';

const SHARED = path.resolve(__dirname, '../../../shared');
const REAL = path.join(SHARED, 'samples-real');

function probeOf(file: string, text: string): Probe {
  const head = Buffer.from(text, 'utf8');
  return { head: head.subarray(0, 64 * 1024), name: path.basename(file), path: file, size: head.length };
}

/** The format that wins detection, as planJobs picks it. */
function winner(probe: Probe): string | null {
  let best = 0;
  let name: string | null = null;
  for (const f of FORMATS) {
    const s = f.detect(probe);
    if (s > best) [best, name] = [s, f.name];
  }
  return name;
}

// RHEL 7 memcg OOM as pasted into a mail (1-space indent; stack frames indented once more by the kernel).
const RHEL7 = [
  ' leaker invoked oom-killer: gfp_mask=0x50, order=0, oom_score_adj=0',
  ' leaker cpuset=/ mems_allowed=0',
  ' CPU: 1 PID: 3206 Comm: leaker Not tainted 3.10.0-957.27.2.el7.x86_64 #1',
  ' Call Trace:',
  '  [<ffffffffaf364147>] dump_stack+0x19/0x1b',
  '',
  ' ...',
  ' Memory cgroup out of memory: Kill process 3206 (leaker) score 970 or sacrifice child',
  ' Killed process 3206 (leaker) total-vm:536692kB, anon-rss:523304kB, file-rss:412kB, shmem-rss:0kB',
].join('\n');

describe('kernel-text detection', () => {
  it('claims unstamped kernel reports, weakly', () => {
    expect(kernelText.detect(probeOf('/x/oom.log', RHEL7))).toBe(5);
    expect(winner(probeOf('/x/oom.log', RHEL7))).toBe('kernel-text');
  });

  it('leaves stamped kernel lines to dmesg and syslog', () => {
    const stamped = RHEL7.split('\n').map((l) => (l.trim() ? `[ 12.000000]${l}` : l)).join('\n');
    expect(kernelText.detect(probeOf('/x/dmesg', stamped))).toBe(0);
    expect(winner(probeOf('/x/dmesg', stamped))).toBe('dmesg');
    const syslog = 'Mar  3 10:00:01 web1 kernel: [ 1.000000] Call Trace:\nMar  3 10:00:01 web1 kernel: [ 1.000000]  dump_stack+0x19/0x1b';
    expect(kernelText.detect(probeOf('/x/kern.log', syslog))).toBe(0);
  });

  it('does not claim prose that mentions kernel phrases, nor a single phrase', () => {
    const prose = 'When the box ran out of memory the kernel said that leaker invoked oom-killer.\nWe then saw the Call Trace: below in the console.\nThanks,\nA.';
    expect(kernelText.detect(probeOf('/x/mail.txt', prose))).toBe(0);
    expect(kernelText.detect(probeOf('/x/one.txt', 'Call Trace:\n'))).toBe(0);
    expect(kernelText.detect(probeOf('/x/bin', 'Call Trace:\0\nMem-Info:\n'))).toBe(0);
  });
});

describe('kernel-text parsing', () => {
  it('stores every non-empty line as a kernel event without a time, the paste indent removed', () => {
    const got = runParser(kernelText, unitsFromText(RHEL7));
    expect(got.events).toHaveLength(8);
    expect(got.skips).toEqual([{ unit: 6, reason: 'empty line' }]);
    expect(got.events.every((e) => e.ts_utc_ms === null && e.ts_quality === 'unknown' && e.program === 'kernel' && e.pid === null)).toBe(true);
    expect(got.events[0]!.message).toBe('leaker invoked oom-killer: gfp_mask=0x50, order=0, oom_score_adj=0');
    // The kernel's own indent of a stack frame stays.
    expect(got.events[4]!.message).toBe(' [<ffffffffaf364147>] dump_stack+0x19/0x1b');
    expect(got.events[5]).toMatchObject({ unit: 7, message: '...' });
    expect(got.warnings).toEqual([{ unit: 7, message: 'elision marker: the writer cut kernel lines out of the report here' }]);
    expect(got.timeNotes).toMatch(/1-character paste indent removed.*no time known for 8 line\(s\); 1 elision/);
  });

  it('reads unindented console captures as they are', () => {
    const got = runParser(kernelText, unitsFromText('stress invoked oom-killer: gfp_mask=0x100cca(GFP_HIGHUSER_MOVABLE), order=0, oom_score_adj=0\nCall Trace:\n dump_stack+0x46/0x60'));
    expect(got.events.map((e) => e.message)).toEqual([
      'stress invoked oom-killer: gfp_mask=0x100cca(GFP_HIGHUSER_MOVABLE), order=0, oom_score_adj=0',
      'Call Trace:',
      ' dump_stack+0x46/0x60',
    ]);
  });
});

interface Case {
  file: string;
  lines: number;
  pid: number;
  comm: string;
  trigger: string;
  triggerPid: number | null;
}

const CASES: Case[] = [
  { file: 'oom/ml_cgroups_k4.18_memcg_leaker_2746.log', lines: 35, pid: 2746, comm: 'leaker', trigger: 'leaker', triggerPid: 2746 },
  { file: 'oom/ml_cgroups_k5.2-rc2-mm1_memcg_stress_210.log', lines: 75, pid: 210, comm: 'stress', trigger: 'stress', triggerPid: 210 },
  { file: 'oom/ml_cgroups_rhel7_k3.10_memcg_leaker_3206.log', lines: 24, pid: 3206, comm: 'leaker', trigger: 'leaker', triggerPid: 3206 },
  { file: 'oom/ml_cgroups_opensuse_k5.8.2_cpuset_containerd_4100.log', lines: 35, pid: 4100, comm: 'containerd', trigger: 'runc:[2:INIT]', triggerPid: 8291 },
  { file: 'oom/ml_ltp_ubuntu2004_k5.8.0-1031-oracle_memcg_19289.log', lines: 14, pid: 19289, comm: 'memcg_process', trigger: 'memcg_process', triggerPid: 19289 },
];

describe.skipIf(!fs.existsSync(REAL))('real unstamped OOM reports (lore.kernel.org pastes)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pf-ktext-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it.each(CASES)('$file: kernel-text, every line stored, OOM incident found', async (c) => {
    const file = path.join(REAL, c.file);
    expect(winner(probeOf(file, fs.readFileSync(file, 'utf8').slice(0, 64 * 1024)))).toBe('kernel-text');
    const dbFile = path.join(dir, `${c.pid}.db`);
    await ingest([file], { db: dbFile, tz: null, bootTime: null });
    const db = openCaseDb(dbFile);
    try {
      const src = db.prepare(`SELECT format, units, stored FROM sources`).get() as { format: string; units: number; stored: number };
      expect(src).toMatchObject({ format: 'kernel-text', stored: c.lines });
      const i = findIncidents(db).find((x) => x.pid === c.pid && x.cause === 'oom-kill');
      expect(i).toBeDefined();
      expect(i!.comm).toBe(c.comm);
      expect(i!.trigger).toMatchObject({ comm: c.trigger, pid: c.triggerPid });
    } finally {
      db.close();
    }
  });
});
