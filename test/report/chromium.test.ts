// Renders the HTML report in headless Chromium (not installed in CI: the test skips there). The
// page has a CSP forbidding every fetch; Chromium's network log must show no request other than
// the file itself, and the page must render to a non-trivial screenshot.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderHtml } from '../../src/report/html.js';
import { buildReportModel } from '../../src/report/model.js';
import * as F from './fixtures.js';

const CHROMIUM = '/usr/bin/chromium';

interface NetLog {
  constants: { logEventTypes: Record<string, number> };
  events: Array<{ type: number; params?: { url?: string; initiator?: string } }>;
}

/**
 * URLs the page asked for. Chromium itself (update checks, account probes) also fetches, with
 * initiator "not an origin"; a request made by the page has the page's origin ("null" for file:).
 */
function pageRequests(netlogFile: string): string[] {
  const text = fs.readFileSync(netlogFile, 'utf8');
  let log: NetLog;
  try {
    log = JSON.parse(text) as NetLog;
  } catch {
    log = JSON.parse(text.replace(/,?\s*$/, '') + ']}') as NetLog; // a log cut short at exit
  }
  const start = log.constants.logEventTypes.URL_REQUEST_START_JOB;
  return log.events
    .filter((e) => e.type === start && e.params?.initiator !== 'not an origin')
    .map((e) => e.params?.url ?? '')
    .filter((u) => u !== '' && !u.startsWith('file:') && !u.startsWith('data:'));
}

describe.skipIf(!fs.existsSync(CHROMIUM))('HTML report in headless Chromium', () => {
  it('renders with no network request and no console error', () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pf-chromium-'));
    try {
      const db = F.makeCaseDb();
      const html = renderHtml(buildReportModel(db, F.oomIncident(), { dbPath: '/case/case.db', generatedAt: F.GENERATED_AT }));
      // The hostile report goes in the same page run: its names must not become live markup.
      const hostile = renderHtml(buildReportModel(db, F.hostileIncident(), { dbPath: '/case/case.db', generatedAt: F.GENERATED_AT }));
      const files = [
        ['oom.html', html],
        ['hostile.html', hostile],
      ] as const;
      for (const [name, text] of files) {
        const page = path.join(tmp, name);
        fs.writeFileSync(page, text);
        const png = path.join(tmp, `${name}.png`);
        const netlog = path.join(tmp, `${name}.netlog.json`);
        const r = spawnSync(
          CHROMIUM,
          [
            '--headless',
            '--no-sandbox',
            '--disable-gpu',
            '--disable-background-networking',
            '--disable-component-update',
            '--disable-sync',
            '--no-first-run',
            '--enable-logging=stderr',
            '--v=0',
            `--log-net-log=${netlog}`,
            `--user-data-dir=${path.join(tmp, `profile-${name}`)}`,
            '--window-size=900,2000',
            `--screenshot=${png}`,
            `file://${page}`,
          ],
          { encoding: 'utf8', timeout: 60_000 },
        );
        expect(r.status, r.stderr).toBe(0);
        expect(fs.existsSync(png)).toBe(true);
        expect(fs.statSync(png).size).toBeGreaterThan(20_000);
        // Console messages from the page (errors, CSP violations) appear as ":CONSOLE" log lines.
        expect(r.stderr).not.toMatch(/:CONSOLE|Content Security Policy|Refused to/);
        expect(pageRequests(netlog)).toEqual([]);
      }
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});
