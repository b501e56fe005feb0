// The lab sample v2 (samples/lab-debian12, a copy of ../shared/lab-sample-v2): fifteen
// disappearances written by real daemons, each checked against its truth.json entry through the
// whole pipeline: cause, signal, victim, the actor chain, the sender, the OOM trigger and the task
// passed over, at the time the truth brackets (2 s of slack). Runs on a fresh clone.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findIncidents, ingest, openCaseDb } from '../../src/index.js';
import type { Incident } from '../../src/correlate/types.js';
import { buildReportModel } from '../../src/report/model.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { writeReportSet } from '../../src/report/index.js';

const SAMPLE = path.resolve(__dirname, '../../samples/lab-debian12');

interface Truth {
  id: string;
  pid: number;
  comm: string;
  cause: string;
  signal?: number;
  actor_user?: string;
  via?: string;
  from_host?: string;
  tty?: string;
  sender_comm?: string;
  cron_command_contains?: string;
  command_contains?: string;
  history_user?: string;
  history_command?: string;
  same_command?: boolean;
  pgid?: number;
  scope?: string;
  trigger_pid?: number;
  trigger_comm?: string;
  protected_pid?: number;
  protected_comm?: string;
  protected_oom_score_adj?: number;
  victim_oom_score_adj?: number;
  t0: number;
  t1: number;
}

const truth: Truth[] = JSON.parse(fs.readFileSync(path.join(SAMPLE, 'truth.json'), 'utf8')).incidents;

describe('lab sample v2: every known disappearance', () => {
  let dir: string;
  let incidents: Incident[];
  let quiet: { warnings: number; lastlog: { skipped: number; empty_units: number; warnings: number } };
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pf-lab2-'));
    const db = path.join(dir, 'case.db');
    // The evidence of the sample (its README, truth and verify files describe it).
    await ingest([path.join(SAMPLE, 'var/log'), path.join(SAMPLE, 'home'), path.join(SAMPLE, 'dmesg-T.txt')], { db });
    const h = openCaseDb(db, { readonly: true });
    incidents = findIncidents(h);
    quiet = {
      warnings: h.prepare(`SELECT COUNT(*) FROM warnings`).pluck().get() as number,
      lastlog: h.prepare(`SELECT skipped, empty_units, warnings FROM sources WHERE format = 'lastlog'`).get() as { skipped: number; empty_units: number; warnings: number },
    };
    h.close();
  }, 60_000);
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('has the fifteen entries the README lists', () => {
    expect(truth).toHaveLength(15);
  });

  it('raises no alarm over healthy input: empty lastlog slots and blank lines are counted, not warned', () => {
    expect(quiet.lastlog.skipped).toBeGreaterThan(900);
    expect(quiet.lastlog).toMatchObject({ empty_units: quiet.lastlog.skipped, warnings: 0 });
    expect(quiet.warnings).toBe(0);
  });

  for (const t of truth) {
    it(`${t.id}: pid ${t.pid} ${t.comm}, ${t.cause}${t.signal ? ` ${t.signal}` : ''}`, () => {
      const near = incidents.filter((i) => i.pid === t.pid && i.time !== null && Date.parse(i.time) / 1000 >= t.t0 - 2 && Date.parse(i.time) / 1000 <= t.t1 + 2);
      expect(near, JSON.stringify(incidents.filter((i) => i.pid === t.pid).map((i) => [i.time, i.cause]))).toHaveLength(1);
      const i = near[0]!;
      expect(i.cause).toBe(t.cause);
      expect(i.comm).toBe(t.comm);
      if (t.signal !== undefined) expect(i.signal).toBe(t.signal);
      if (t.actor_user) expect(i.actor.user).toBe(t.actor_user);
      if (t.via) expect(i.actor.via).toBe(t.via);
      if (t.from_host) expect(i.actor.from_host).toBe(t.from_host);
      if (t.tty) expect(i.actor.tty).toBe(t.tty);
      if (t.sender_comm) expect(i.actor.sender_comm).toBe(t.sender_comm);
      if (t.cron_command_contains) expect(i.actor.command).toContain(t.cron_command_contains);
      if (t.command_contains) expect(i.actor.command).toContain(t.command_contains);
      if (t.history_user) {
        const hist = i.evidence.find((e) => e.source.endsWith(`home/${t.history_user}/.bash_history`));
        expect(hist?.text).toContain(t.history_command ?? t.command_contains ?? '');
      }
      if (t.same_command || t.pgid) {
        // Every other victim of the same command is named, and only those.
        const group = truth.filter((x) => x.id !== t.id && x.t0 === t.t0 && x.cause === 'signal').map((x) => x.pid).sort();
        expect(i.other_victims?.map((o) => o.pid).sort()).toEqual(group);
      }
      if (t.pgid) {
        expect(i.actor.process_group).toBe(t.pgid);
        expect(i.summary).toContain(`member of process group ${t.pgid}`);
      }
      if (t.scope) expect(i.oom?.scope).toBe(t.scope);
      if (t.trigger_pid) expect(i.trigger).toEqual({ pid: t.trigger_pid, comm: t.trigger_comm });
      if (t.protected_pid) {
        expect(i.oom?.passed_over).toContainEqual(expect.objectContaining({ pid: t.protected_pid, name: t.protected_comm, oom_score_adj: t.protected_oom_score_adj }));
        expect(i.oom?.tasks.find((x) => x.pid === t.pid)?.oom_score_adj).toBe(t.victim_oom_score_adj);
        expect(i.oom?.why_chosen).toMatch(new RegExp(`chosen over the larger ${t.protected_comm} .*because its oom_score_adj is \\+${t.victim_oom_score_adj}`));
      }
      expect(i.evidence.some((e) => e.decisive && e.source.startsWith(SAMPLE))).toBe(true);
    });
  }

  it('the verdicts can be queried in SQL beside the lines: evidence, alternatives and missing evidence as views, times in ISO 8601', () => {
    const h = openCaseDb(path.join(dir, 'case.db'), { readonly: true });
    try {
      const ev = h
        .prepare(
          `SELECT e.role, e.decisive, ev.program, ev.time_utc FROM incident_evidence e JOIN incidents i USING (id)
           JOIN sources s ON s.path = e.source_path JOIN events ev ON ev.source_id = s.id AND ev.src_line = e.line
           WHERE i.pid = 25648 AND e.decisive = 1 ORDER BY e.ord`,
        )
        .all() as Array<{ role: string; decisive: number; program: string | null; time_utc: string }>;
      expect(ev.length).toBeGreaterThanOrEqual(2);
      expect(ev[0]!.time_utc).toMatch(/^2026-12-01T21:38:2\d\.\d{3}Z$/);
      const alt = h.prepare(`SELECT COUNT(*) FROM incident_alternatives a JOIN incidents i USING (id) WHERE i.pid = 25648`).pluck().get() as number;
      expect(alt).toBeGreaterThan(0);
      const miss = h.prepare(`SELECT text FROM incident_missing_evidence m JOIN incidents i USING (id) WHERE i.pid = 26308`).pluck().all() as string[];
      expect(miss.join(' ')).toContain('auid!=4294967295');
    } finally {
      h.close();
    }
  });

  it('every report of the sample fits an incident ticket (Jira 32,767 and GitHub 65,536 characters), the answer before the timeline', () => {
    const h = openCaseDb(path.join(dir, 'case.db'), { readonly: true });
    try {
      for (const i of incidents) {
        const md = renderMarkdown(buildReportModel(h, i, { generatedAt: '2026-12-02T00:00:00Z' }));
        expect(md.length, i.id).toBeLessThanOrEqual(32_767);
        expect(md.indexOf('**Answer:**')).toBeLessThan(md.indexOf('## The moments before'));
        expect(md.indexOf('## Missing evidence')).toBeLessThan(md.indexOf('## The moments before'));
      }
      // Audit lines as a reader wants them: hex values decoded, the ENRICHED separator a space.
      const sudo = renderMarkdown(buildReportModel(h, incidents.find((i) => i.pid === 25648)!, { generatedAt: '2026-12-02T00:00:00Z' }));
      expect(sudo).toContain('proctitle="bash -c sleep 1; sudo kill -9 25648"');
      expect(sudo).not.toContain('\\x1d');
      // The committed demo reports too.
      const reports = path.resolve(__dirname, '../../reports');
      for (const f of fs.readdirSync(reports).filter((x) => x.endsWith('.md'))) {
        expect(fs.statSync(path.join(reports, f)).size, f).toBeLessThanOrEqual(32_767);
      }
    } finally {
      h.close();
    }
  });

  it('reports of one set link the incidents tied to each other: the victims of one command, the OOM and its trigger', () => {
    const h = openCaseDb(path.join(dir, 'case.db'), { readonly: true });
    const out = path.join(dir, 'set');
    try {
      writeReportSet(h, incidents, out, ['md', 'html'], { generatedAt: '2026-12-02T00:00:00Z' });
    } finally {
      h.close();
    }
    const md = (pid: number) => fs.readFileSync(path.join(out, fs.readdirSync(out).find((f) => f.startsWith(`vm-${pid}-`) && f.endsWith('.md'))!), 'utf8');
    expect(md(26005)).toMatch(/killed by the same command: \[pyworker \(pid 26006\)\]\(vm-26006-\d+\.md\)/);
    expect(md(26005)).toMatch(/killed by the same command: \[pyworker-watch \(pid 26007\)\]\(vm-26007-\d+\.md\)/);
    expect(md(25632)).toMatch(/the task that triggered this OOM kill, and how it ended: \[report-builder \(pid 25635\)\]\(vm-25635-\d+\.md\)/);
    expect(md(25635)).toMatch(/the OOM kill this task triggered: \[cache-warmer \(pid 25632\)\]\(vm-25632-\d+\.md\)/);
    const html = fs.readFileSync(path.join(out, fs.readdirSync(out).find((f) => f.startsWith('vm-26082-') && f.endsWith('.html'))!), 'utf8');
    expect(html).toMatch(/<a href="vm-26084-\d+\.html">shard-worker \(pid 26084\)<\/a>/);
    // The case summary: a host column, the repeats, and the incidents over time as inline SVG.
    const index = fs.readFileSync(path.join(out, 'index.html'), 'utf8');
    expect(index).toContain('aria-label="Incidents over time, by cause"');
    expect((index.match(/<rect [^>]*class="bar/g) ?? []).length).toBe(incidents.filter((i) => i.time !== null).length);
    expect(index).not.toMatch(/<script|href="http/);
    expect(fs.readFileSync(path.join(out, 'index.md'), 'utf8')).toMatch(/^\| Time \(UTC\) \| Host \| PID \|/m);
  });

  it('the hangup at logout names no sender, and says why the job died and what keeps one alive', () => {
    const i = incidents.find((x) => x.pid === 26270)!;
    expect(i.actor.sender_pid ?? null).toBeNull();
    expect(i.summary).toMatch(/died of SIGHUP when bob's login session from 127\.0\.0\.1 on pts\/0 ended/);
    expect(i.recommendations.join(' ')).toMatch(/nohup or setsid.*systemd.*loginctl enable-linger/);
    const decisive = i.evidence.filter((e) => e.decisive).map((e) => path.basename(e.source));
    expect(decisive[0]).toBe('pacct');
    expect(decisive.length).toBeGreaterThanOrEqual(2);
  });

  it('a kill the audit rules could not see says why, and which rule would have recorded it', () => {
    // The lab's cleanup SIGKILLs came from a session without a login uid; the rule records auid!=unset only.
    for (const pid of [26308, 26319]) {
      const i = incidents.find((x) => x.pid === pid && x.signal === 9)!;
      expect(i.actor.user).toBeNull();
      expect(i.missing_evidence.join(' ')).toMatch(/every recorded sender has a login uid: the rule in force most likely records only senders with `-F auid!=4294967295`.*`-a always,exit -F arch=b64 -S kill,tkill,tgkill -F key=kill`/);
    }
  });

  it('top\'s k: the sender is top in bob\'s session, sent interactively, with the history line that shows only top', () => {
    const i = incidents.find((x) => x.pid === 25928)!;
    expect(i.summary).toContain("it was sent interactively from top (its kill command): bob's shell history shows only `top`");
  });
});
