// dmesg dumps and /dev/kmsg records (formats.md §2.6).
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { dmesg, kmsg, decodeKmsgText } from '../../src/formats/dmesg.js';
import type { Probe } from '../../src/formats/types.js';
import { runParser, unitsFromText } from '../helpers/run-parser.js';

const SHARED = path.resolve(__dirname, '../../../shared');
const OOM = path.join(SHARED, 'samples-real/oom');

function probeOf(file: string, text: string): Probe {
  const head = Buffer.from(text, 'utf8');
  return { head: head.subarray(0, 64 * 1024), name: path.basename(file), path: file, size: head.length };
}

describe('dmesg', () => {
  it('stores bare uptime lines without a time, with boots split on the banner and backwards uptime', () => {
    const got = runParser(
      dmesg,
      unitsFromText(
        [
          '[    0.000000] Linux version 6.18.44-fc-v657 (builder@sandboxing) #1 SMP',
          '[    0.426083] amd_pstate: The CPPC feature is supported but currently disabled by the BIOS.',
          '               Please enable it if your BIOS has the CPPC option.',
          '[ 2585.590367] parser-daemon[16480]: segfault at 0 ip 0000564ddc58336e sp 00007ffc29ee3220 error 6',
          '[    0.000000] Linux version 6.18.44-fc-v657 (builder@sandboxing) #1 SMP',
          '[    3.100000] later boot line',
          '[    1.000000] third boot (uptime went back)',
        ].join('\n'),
      ),
    );
    expect(got.events.map((e) => e.boot_key)).toEqual(['b0', 'b0', 'b0', 'b0', 'b1', 'b1', 'b2']);
    expect(got.events.every((e) => e.ts_utc_ms === null && e.ts_quality === 'unknown')).toBe(true);
    expect(got.events[2]).toMatchObject({ uptime_s: 0.426083, message: 'Please enable it if your BIOS has the CPPC option.' });
    expect(got.events[3]).toMatchObject({ uptime_s: 2585.590367, program: 'kernel', pid: null });
    expect(got.warnings).toHaveLength(0);
  });

  it('reads dmesg -r priorities and caller ids', () => {
    const got = runParser(dmesg, unitsFromText('<4>[  353.660623][ T1234] oom-kill:constraint=CONSTRAINT_MEMCG\n<30>[    4.591020][    T1] systemd[1]: Detected virtualization kvm.'));
    expect(got.events[0]).toMatchObject({ uptime_s: 353.660623, severity: 4, program: 'kernel', message: 'oom-kill:constraint=CONSTRAINT_MEMCG' });
    expect(got.events[1]).toMatchObject({ severity: 6, program: 'systemd', pid: 1 });
  });

  it('reads dmesg -T local times (space-padded day) with --tz or the assumed offset', () => {
    const line = '[Mon Jun 20 09:18:02 2016] systemd-network[19241]: segfault at 89 ip 000056362604cf6f';
    const tz = runParser(dmesg, unitsFromText(line), { tz: 'Europe/Berlin' });
    expect(tz.events[0]).toMatchObject({ ts_utc_ms: Date.UTC(2016, 5, 20, 7, 18, 2), ts_quality: 'year_inferred' });
    const pad = runParser(dmesg, unitsFromText('[Thu Apr  1 16:45:10 2021] x'));
    expect(pad.events[0]).toMatchObject({ ts_utc_ms: Date.UTC(2021, 3, 1, 16, 45, 10), ts_quality: 'local_assumed' });
    expect(pad.timeNotes).toMatch(/assumed UTC.*btime/);
  });

  it('reads --time-format iso', () => {
    const got = runParser(dmesg, unitsFromText('2026-11-21T21:06:00,123456+00:00 Linux version 6.18.44'));
    expect(got.events[0]).toMatchObject({ ts_utc_ms: Date.UTC(2026, 10, 21, 21, 6, 0, 123), message: 'Linux version 6.18.44' });
  });

  it('keeps garbage lines with a warning', () => {
    const got = runParser(dmesg, unitsFromText('garbage first\n[    1.000000] ok\nwrapped tail'));
    expect(got.events).toHaveLength(3);
    expect(got.events[0]).toMatchObject({ ts_utc_ms: null, ts_quality: 'unknown' });
    expect(got.events[2]).toMatchObject({ uptime_s: 1, boot_key: 'b0', message: 'wrapped tail' });
    expect(got.warnings).toHaveLength(2);
  });
});

describe('/dev/kmsg', () => {
  it('reads records, escapes, dictionary lines, and sequence restarts as new boots', () => {
    const got = runParser(
      kmsg,
      unitsFromText(
        [
          '5,0,0,-;Linux version 6.18.44-fc-v657 (builder@build-host) #1 SMP PREEMPT_DYNAMIC @0',
          '6,339,2013040,-,caller=T1;pci 0000:00:01.0: [8086:7000] type 00 class 0x060100\\x0aline2 caf\\xc3\\xa9',
          ' SUBSYSTEM=pci',
          ' DEVICE=+pci:0000:00:01.0',
          '30,400,4591020,-;systemd[1]: Detected virtualization kvm.',
          '5,0,0,-;Linux version 6.18.44-fc-v657 (builder@build-host) #1 SMP PREEMPT_DYNAMIC @0',
        ].join('\n'),
      ),
    );
    expect(got.events).toHaveLength(6);
    expect(got.events[1]).toMatchObject({ uptime_s: 2.01304, severity: 6, message: 'pci 0000:00:01.0: [8086:7000] type 00 class 0x060100\\nline2 café' });
    expect(got.events[2]).toMatchObject({ message: 'SUBSYSTEM=pci', uptime_s: 2.01304, boot_key: 'b0' });
    expect(got.events[4]).toMatchObject({ program: 'systemd', pid: 1, severity: 6 });
    expect(got.events[5].boot_key).toBe('b1');
  });

  it('decodes \\xNN bytes as UTF-8 and keeps control characters visible', () => {
    expect(decodeKmsgText('a\\x5cb\\x01')).toBe('a\\b\\x01');
  });
});

// Reports pasted into mails (lore.kernel.org): the whole block indented, `...` where lines were cut,
// Mem-Info continuation lines indented deeper than the stamps.
const PASTED = [
  '    [76578.062209] ioctl_sg01 invoked oom-killer: gfp_mask=0x100dca(GFP_HIGHUSER_MOVABLE|__GFP_ZERO), order=0, oom_score_adj=0',
  '    ...',
  '    [76578.062335] Mem-Info:',
  '    [76578.062340] active_anon:63 inactive_anon:49016768 isolated_anon:0',
  '                    active_file:253 inactive_file:117 isolated_file:0',
  '                    free:121136 free_pcp:0 free_cma:0',
  '    ...',
  '    [76578.062539] Out of memory: Killed process 446171 (ioctl_sg01) total-vm:195955840kB, anon-rss:195941256kB, file-rss:1416kB, shmem-rss:0kB, UID:0 pgtables:383184kB oom_score_adj:0',
].join('\n');

describe('dmesg pasted into a mail (indented, elided)', () => {
  it('detects the indented block although continuation and elision lines carry no stamp', () => {
    expect(dmesg.detect(probeOf('/x/report.log', PASTED))).toBe(50);
    // Unstamped kernel text is not dmesg, indented or not.
    expect(dmesg.detect(probeOf('/x/r.log', '  leaker invoked oom-killer: gfp_mask=0x50, order=0\n  Call Trace:\n   dump_stack+0x19/0x1b'))).toBe(0);
  });

  it('reads stamps after the indent, keeps continuation lines with their stamp and elisions as marked events', () => {
    const got = runParser(dmesg, unitsFromText(PASTED));
    expect(got.events).toHaveLength(8);
    expect(got.events[0]).toMatchObject({ uptime_s: 76578.062209, boot_key: 'b0', program: 'kernel', message: expect.stringMatching(/^ioctl_sg01 invoked oom-killer: /) });
    expect(got.events[1]).toMatchObject({ uptime_s: 76578.062209, message: '...' });
    expect(got.events[4]).toMatchObject({ uptime_s: 76578.06234, message: 'active_file:253 inactive_file:117 isolated_file:0' });
    expect(got.events[7]).toMatchObject({ uptime_s: 76578.062539, message: expect.stringMatching(/^Out of memory: Killed process 446171 \(ioctl_sg01\)/) });
    expect(got.events.every((e) => e.boot_key === 'b0')).toBe(true);
    expect(got.warnings.map((w) => [w.unit, w.message])).toEqual([
      [2, 'elision marker: the writer cut lines out of the log here'],
      [7, 'elision marker: the writer cut lines out of the log here'],
    ]);
  });

  it('an elision before any stamp is stored as a kernel line without a time', () => {
    const got = runParser(dmesg, unitsFromText('  [...]\n  [   12.000001] x'));
    expect(got.events[0]).toMatchObject({ ts_utc_ms: null, ts_quality: 'unknown', program: 'kernel', message: '[...]' });
    expect(got.events[1]).toMatchObject({ uptime_s: 12.000001, message: 'x' });
  });
});

describe.skipIf(!fs.existsSync(OOM))('real indented dmesg pastes', () => {
  it.each([
    ['ml_cgroups_arch_k6.7.4_memcg_rsync_128825.log', 107, 41369.847965],
    ['ml_ltp_global_ioctl_sg01_446171.log', 13, 76578.062209],
  ])('%s: claimed, every line stored, stamps read through the indent', (name, lines, firstUptime) => {
    const file = path.join(OOM, name);
    const text = fs.readFileSync(file, 'utf8');
    expect(dmesg.detect(probeOf(file, text))).toBe(50);
    const got = runParser(dmesg, unitsFromText(text));
    expect(got.events).toHaveLength(lines);
    expect(got.skips).toHaveLength(0);
    expect(got.events[0]).toMatchObject({ uptime_s: firstUptime, program: 'kernel' });
    expect(got.events.every((e) => e.uptime_s !== null && e.uptime_s !== undefined)).toBe(true);
    expect(got.warnings.every((w) => w.message.startsWith('elision marker'))).toBe(true);
  });
});
