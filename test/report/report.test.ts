import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { escapeHtml, mdCode, mdFence, mdText, safeFileName } from '../../src/report/escape.js';
import { renderHtml, CSP } from '../../src/report/html.js';
import { renderJson } from '../../src/report/json.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { buildReportModel, parseDuration, parseWindow } from '../../src/report/model.js';
import { writeReportSet } from '../../src/report/index.js';
import * as F from './fixtures.js';
import { storeLines, type LineInput } from '../../src/store/lines.js';

const GOLDEN = path.join(__dirname, 'golden');
const UPDATE = process.env.UPDATE_GOLDEN === '1';

function golden(name: string, actual: string): void {
  const file = path.join(GOLDEN, name);
  if (UPDATE || !fs.existsSync(file)) {
    fs.mkdirSync(GOLDEN, { recursive: true });
    fs.writeFileSync(file, actual);
  }
  expect(actual).toBe(fs.readFileSync(file, 'utf8'));
}

const OPTS = { dbPath: '/case/case.db', generatedAt: F.GENERATED_AT };

describe('golden reports of hand-made incidents', () => {
  const db = F.makeCaseDb();
  const cases = [
    ['oom-memcg', F.oomIncident()],
    ['sudo-kill9', F.sudoKillIncident()],
    ['cron-pkill', F.cronPkillIncident()],
    ['segfault', F.segfaultIncident()],
  ] as const;
  for (const [name, incident] of cases) {
    it(name, () => {
      const m = buildReportModel(db, incident, OPTS);
      golden(`${name}.md`, renderMarkdown(m));
      golden(`${name}.html`, renderHtml(m));
      golden(`${name}.json`, renderJson([m]));
    });
  }
});

describe('report model', () => {
  const db = F.makeCaseDb();

  it('answers the OOM kill in one sentence with trigger, limit and cgroup', () => {
    const m = buildReportModel(db, F.oomIncident(), OPTS);
    expect(m.answer_text).toBe(
      'cache-warmer (pid 16400) was killed by the kernel OOM killer at 2026-11-21 21:48:38.822 UTC when report-builder (pid 16403) hit the 64 MiB limit of memory cgroup /system.slice/batch-jobs.service/lab-oom.',
    );
    // Ranked by RSS: victim first, trigger second, the rss_pages-only task computed with 4 KiB pages.
    expect(m.oom?.tasks.map((t) => [t.rank, t.pid, t.victim, t.trigger])).toEqual([
      [1, 16400, true, false],
      [2, 16403, false, true],
      [3, 16399, false, false],
    ]);
    expect(m.oom?.tasks[2].rss_mib).toBeCloseTo(1.17, 2);
  });

  it('shows local times in the case zone, and the --tz override', () => {
    const m = buildReportModel(db, F.oomIncident(), OPTS);
    const ended = m.facts.find((f) => f.label === 'Disappeared');
    expect(ended?.value).toEqual([{ t: '2026-11-21 21:48:38.822 UTC — 2026-11-21 16:48:38.822 -05:00 (America/New_York)' }]);
    const tokyo = buildReportModel(db, F.oomIncident(), { ...OPTS, tz: 'Asia/Tokyo' });
    expect(tokyo.zone.source).toBe('report --tz');
    expect(tokyo.facts.find((f) => f.label === 'Disappeared')?.value).toEqual([
      { t: '2026-11-21 21:48:38.822 UTC — 2026-11-22 06:48:38.822 +09:00 (Asia/Tokyo)' },
    ]);
  });

  it('falls back to the inferred offset, then to UTC', () => {
    const noTz = F.makeCaseDb({ tz: null });
    noTz.prepare(`INSERT INTO tz_offsets(source_id, src_line, src_offset, host, offset_min, first_utc_ms, last_utc_ms, lines) VALUES (1, 0, 0, 'vm', -300, 1795297700000, 1795297760000, 20)`).run();
    const inferred = buildReportModel(noTz, F.oomIncident(), OPTS);
    expect(inferred.zone.name).toBe('UTC-05:00');
    expect(inferred.facts.find((f) => f.label === 'Disappeared')?.value).toEqual([
      { t: '2026-11-21 21:48:38.822 UTC — 2026-11-21 16:48:38.822 -05:00 (inferred)' },
    ]);
    const utc = buildReportModel(F.makeCaseDb({ tz: null }), F.oomIncident(), OPTS);
    expect(utc.zone.name).toBe('UTC');
    expect(utc.facts.find((f) => f.label === 'Disappeared')?.value).toEqual([{ t: '2026-11-21 21:48:38.822 UTC' }]);
  });

  it('builds the actor chain of a sudo kill: login → session → sudo → sender → signal', () => {
    const m = buildReportModel(db, F.sudoKillIncident(), OPTS);
    expect(m.chain_title).toBe('Actor chain');
    expect(m.chain.map((c) => c.label)).toEqual(['Login', 'Session', 'sudo command', 'Signal sender', 'Signal']);
    expect(m.answer_text).toBe(
      'ingest-daemon (pid 16416) was killed with SIGKILL (9) at 2026-11-21 21:48:45.047 UTC by alice (logged in from 127.0.0.1) via sudo: /usr/bin/kill -9 16416.',
    );
  });

  it('merges the window from every source, marks the evidence, and caps the rows', () => {
    const m = buildReportModel(db, F.sudoKillIncident(), OPTS);
    const files = new Set(m.timeline.rows.map((r) => r.source_short));
    // messages:2 is the same kernel line as kern.log:40: it is folded into that row, not a row of its own.
    expect(files).toEqual(new Set(['auth.log', 'kern.log', 'audit/audit.log', 'cron.log']));
    expect(m.timeline.rows.find((r) => r.source_short === 'kern.log' && r.line === 40)?.copies.map((c) => `${c.source_short}:${c.line}`)).toEqual(['messages:2']);
    expect(m.timeline.rows.filter((r) => r.decisive).map((r) => `${r.source_short}:${r.line}`)).toEqual([
      'auth.log:24',
      'audit/audit.log:310',
      'audit/audit.log:311',
    ]);
    const times = m.timeline.rows.map((r) => r.ts_utc_ms ?? 0);
    expect([...times].sort((a, b) => a - b)).toEqual(times);

    const small = buildReportModel(db, F.sudoKillIncident(), { ...OPTS, maxTimelineRows: 10, windowBeforeMs: 3_600_000 });
    expect(small.timeline.rows.length).toBeLessThanOrEqual(10 + 4);
    expect(small.timeline.omitted).toBe(small.timeline.total - small.timeline.rows.length);
    expect(small.timeline.omitted).toBeGreaterThan(0);
    expect(small.timeline.rows.filter((r) => r.decisive)).toHaveLength(3);
    expect(small.timeline.note).toContain('left out');
  });

  it('folds the same kernel line from several files into one row, shown from the best-timed copy', () => {
    const db2 = F.makeCaseDb();
    // The ring buffer dump holds the same printk records with times anchored on uptime and no host.
    const dmesgId = Number(
      db2.prepare(`INSERT INTO sources(path, format, compression, sha256, status) VALUES (?, 'dmesg', 'none', ?, 'ok')`).run(`${F.ROOT}/dmesg`, '6a'.repeat(32)).lastInsertRowid,
    );
    const oomHeader = 'report-builder invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0';
    const dmesgLine = (src_line: number, uptime_s: number, raw: string): LineInput => ({
      src_line, src_offset: src_line * 100, ts_utc_ms: Date.parse('2026-11-21T21:48:38.381Z'), ts_quality: 'uptime_anchored',
      program: 'kernel', uptime_s, message: oomHeader, raw,
    });
    storeLines(db2, dmesgId, [
      dmesgLine(845, 2557.821904, `[ 2557.821904] ${oomHeader}`),
      // Same text at another uptime: a different record, not a copy.
      dmesgLine(846, 2557.9, `[ 2557.900000] ${oomHeader}`),
    ]);
    // A userland line written by two files (whole-second local stamp vs RFC 3339): one row.
    storeLines(db2, 5, [{
      src_line: 3, src_offset: 300, ts_utc_ms: Date.parse('2026-11-21T21:48:30.000Z'), ts_quality: 'local_assumed', host: 'vm', program: 'sshd', pid: 16390,
      message: 'pam_unix(sshd:session): session closed for user root', raw: 'Nov 21 16:48:30 vm sshd[16390]: pam_unix(sshd:session): session closed for user root',
    }]);

    const m = buildReportModel(db2, F.oomIncident(), OPTS);
    const header = m.timeline.rows.filter((r) => r.text.includes('invoked oom-killer'));
    expect(header.map((r) => [r.source_short, r.line, r.time_quality, r.copies.map((c) => `${c.source_short}:${c.line}`)])).toEqual([
      ['dmesg', 846, 'uptime_anchored', []],
      // Copies in the order of the one time-quality ranking: uptime-anchored before local.
      ['kern.log', 40, 'exact', ['dmesg:845', 'messages:2']],
    ]);
    // The evidence mark stays on the folded row.
    expect(header[1].decisive).toBe(true);
    expect(header[1].role).toBe('the OOM report header: the trigger');
    const closed = m.timeline.rows.filter((r) => r.text.includes('session closed for user root'));
    expect(closed.map((r) => [r.source_short, r.line, r.copies.map((c) => `${c.source_short}:${c.line}`)])).toEqual([['auth.log', 10, ['messages:3']]]);
    expect(m.timeline.folded).toBe(3);
    // The copies' files are cited in the provenance.
    expect(m.provenance.sources.find((s) => s.short === 'dmesg')?.sha256).toBe('6a'.repeat(32));

    const md = renderMarkdown(m);
    expect(md).toContain('3 copies of lines from other files folded into their rows');
    expect(md).toMatch(/kern\.log:40 .*report-builder invoked oom-killer.*«also dmesg:845, messages:2»/);
    const html = renderHtml(m);
    expect(html).toContain('kern.log:40<div class="also">also <span class="ref">dmesg:845</span>, <span class="ref">messages:2</span></div>');
  });

  it('keeps two identical lines of one file as two rows', () => {
    const db2 = F.makeCaseDb();
    const closed = (src_line: number, iso: string, local: string): LineInput => ({
      src_line, src_offset: src_line * 100, ts_utc_ms: Date.parse(iso), ts_quality: 'exact', host: 'vm', program: 'sshd', pid: 16390,
      message: 'Connection closed', raw: `${local} vm sshd[16390]: Connection closed`,
    });
    storeLines(db2, 2, [
      closed(11, '2026-11-21T21:48:31.100Z', '2026-11-21T16:48:31.100000-05:00'),
      closed(12, '2026-11-21T21:48:31.200Z', '2026-11-21T16:48:31.200000-05:00'),
    ]);
    const m = buildReportModel(db2, F.oomIncident(), OPTS);
    expect(m.timeline.rows.filter((r) => r.text.endsWith('Connection closed')).map((r) => [r.line, r.copies.length])).toEqual([
      [11, 0],
      [12, 0],
    ]);
  });

  it('fills the cap with the evidence first, then the rows nearest the incident', () => {
    const db2 = F.makeCaseDb();
    // 60 filler lines a second apart, ending 1 s before the kill.
    const killMs = Date.parse('2026-11-21T21:48:45.047Z');
    const filler: LineInput[] = [];
    for (let i = 1; i <= 60; i++) {
      filler.push({ src_line: 1000 + i, src_offset: (1000 + i) * 100, ts_utc_ms: killMs - i * 1000, ts_quality: 'exact', host: 'vm', program: 'lab', raw: `filler ${i}` });
    }
    storeLines(db2, 4, filler);
    const m = buildReportModel(db2, F.sudoKillIncident(), { ...OPTS, maxTimelineRows: 20 });
    expect(m.timeline.rows).toHaveLength(20);
    expect(m.timeline.rows.filter((r) => r.evidence)).toHaveLength(4);
    const fillers = m.timeline.rows.filter((r) => r.text.startsWith('filler')).map((r) => Number(r.text.slice(7)));
    // The nearest fillers are kept, the earliest dropped.
    expect(Math.max(...fillers)).toBeLessThan(20);
    expect(fillers).toContain(1);
    expect(m.timeline.omitted).toBe(m.timeline.total - 20);
  });

  it('cites every source file with its sha256', () => {
    const m = buildReportModel(db, F.segfaultIncident(), { ...OPTS, windowBeforeMs: 30_000, windowAfterMs: 1000 });
    const kern = m.provenance.sources.find((s) => s.path === '/case/var/log/kern.log');
    expect(kern?.sha256).toBe('1f'.repeat(32));
    expect(m.provenance.generated_at).toBe(F.GENERATED_AT);
    expect(m.provenance.version).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('works without a case database (evidence lines only)', () => {
    const m = buildReportModel(null, F.cronPkillIncident(), OPTS);
    expect(m.timeline.rows.map((r) => r.line)).toEqual([7, 340, 341]);
    expect(m.zone.name).toBe('UTC');
    expect(m.answer_text).toContain('by a cron job of root: test -f /srv/batch/run/cron-armed');
  });

  it('parses --window durations', () => {
    expect(parseDuration('10m')).toBe(600_000);
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('90')).toBe(90_000);
    expect(parseDuration('10 minutes')).toBeNull();
    expect(parseWindow('30s')).toEqual({ beforeMs: 30_000, afterMs: 30_000 });
    expect(parseWindow('1h')).toEqual({ beforeMs: 3_600_000, afterMs: 60_000 });
    expect(parseWindow('5m,2m')).toEqual({ beforeMs: 300_000, afterMs: 120_000 });
    expect(parseWindow('x')).toBeNull();
  });
});

// Markdown with fenced blocks and code spans removed: what is left is what a renderer parses.
function markdownOutsideCode(md: string): string {
  const noFences = md.replace(/^(`{3,})[^\n]*\n[\s\S]*?\n\1$/gm, '');
  return noFences.replace(/(`+)(?!`)[\s\S]*?(?<!`)\1(?!`)/g, '');
}

function unescapedPipes(row: string): number {
  let n = 0;
  for (let i = 0; i < row.length; i++) {
    if (row[i] === '\\') i++;
    else if (row[i] === '|') n++;
  }
  return n;
}

describe('escaping of log-controlled text', () => {
  const db = F.makeCaseDb();
  const m = buildReportModel(db, F.hostileIncident(), OPTS);

  it('Markdown: no live markup, no split table rows, no broken lines', () => {
    const md = renderMarkdown(m);
    const outside = markdownOutsideCode(md);
    // Every < left outside code is backslash-escaped.
    expect(outside).not.toMatch(/(^|[^\\])<[a-z/!]/im);
    expect(outside).not.toMatch(/(^|[^\\])\[[^\]]*\]\(/m);
    // Tables: every row has exactly as many cell separators as its header.
    const lines = md.split('\n');
    for (let i = 0; i < lines.length; i++) {
      if (!/^\|.*\|$/.test(lines[i]) || /^\|[-:| ]+\|$/.test(lines[i])) continue;
      let h = i;
      while (h > 0 && /^\|.*\|$/.test(lines[h - 1])) h--;
      expect(unescapedPipes(lines[i]), lines[i]).toBe(unescapedPipes(lines[h]));
    }
    // The injected newline shows as \x0a and did not start a line of its own.
    expect(md).toContain('10.0.0.9\\x0aInjected: yes');
    expect(lines.some((l) => l.startsWith('Injected'))).toBe(false);
    // The command with a run of three backticks sits in a four-backtick code span.
    expect(md).toContain('````/usr/bin/pkill -9 -f ```a|b`<svg onload=1>````');
    // Recommendations that look like a heading or a list item stay text.
    expect(md).toContain('- \\# not a heading');
    expect(md).toContain('- 1\\. not a list');
    // The terminal escape in a timeline line is shown, not emitted.
    expect(md).not.toContain('\x1b');
    expect(md).toContain('\\x1b[2J');
  });

  it('Markdown: a log line holding ``` cannot close the evidence fence', () => {
    const md = renderMarkdown(m);
    const open = /^(`{3,})text$/m.exec(md);
    expect(open?.[1]).toBe('````');
  });

  it('HTML: every log value is entity-escaped', () => {
    const html = renderHtml(m);
    expect(html).not.toMatch(/<svg onload/i);
    expect(html).not.toMatch(/<b>/);
    expect(html).not.toMatch(/<img/i);
    expect(html).not.toContain('\x1b');
    expect(html).toContain('<code>&lt;svg onload=1&gt;</code>');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt; missing');
    // Only the chart's own <svg> element is live.
    expect(html.match(/<svg/g)).toHaveLength(1);
    expect(html).not.toMatch(/<script/i);
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="${escapeHtml(CSP)}">`);
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//i);
  });

  it('JSON keeps the contract fields top-level and the values verbatim', () => {
    const j = JSON.parse(renderJson([m]));
    expect(j.comm).toBe('<svg onload=1>');
    expect(j.actor.user).toBe('a|b');
    expect(j.report.answer_text).toContain('<svg onload=1>');
    const two = JSON.parse(renderJson([m, buildReportModel(db, F.oomIncident(), OPTS)]));
    expect(two.incidents.map((i: { pid: number }) => i.pid)).toEqual([16600, 16400]);
    expect(two.incidents[1].oom.scope).toBe('memcg');
  });

  it('escape helpers', () => {
    expect(mdCode('a`b')).toBe('``a`b``');
    expect(mdCode('`x`')).toBe('`` `x` ``');
    expect(mdCode('a|b', true)).toBe('`a\\|b`');
    expect(mdCode('')).toBe('*(empty)*');
    expect(mdText('<svg onload=1> *x* [a](b) a|b')).toBe('\\<svg onload=1\\> \\*x\\* \\[a\\](b) a\\|b');
    expect(mdFence(['x ```` y'])).toBe('`````\nx ```` y\n`````');
    expect(escapeHtml('<a href="x">&\u202e</a>')).toBe('&lt;a href=&quot;x&quot;&gt;&amp;\\u202e&lt;/a&gt;');
    expect(safeFileName('../../etc/passwd')).toBe('etc_passwd');
    expect(safeFileName('signal-16600-x<y>|`z`')).toBe('signal-16600-x_y_z_');
  });
});

describe('writeReportSet', () => {
  it('writes one report per incident and format plus the indexes', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pf-report-'));
    const res = writeReportSet(F.makeCaseDb(), [...F.allFixtures(), F.hostileIncident()], dir, ['md', 'html', 'json'], OPTS);
    const names = fs.readdirSync(dir).sort();
    expect(names).toContain('index.md');
    expect(names).toContain('index.html');
    expect(names).toContain('index.json');
    expect(names).toContain('oom-kill-16400-1795297718.html');
    expect(names).toContain('signal-16600-x_y_z_.md');
    expect(res.files).toHaveLength(5 * 3 + 3);
    const index = fs.readFileSync(path.join(dir, 'index.md'), 'utf8');
    expect(index).toContain('[oom-kill-16400-1795297718.md](oom-kill-16400-1795297718.md)');
    const j = JSON.parse(fs.readFileSync(path.join(dir, 'index.json'), 'utf8'));
    expect(j.incidents).toHaveLength(5);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
