// Several hosts in one case: a file that names no host (pacct here) belongs to the host its sibling
// files name, not to the host with the most lines; `--host` names it outright.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findIncidents, ingest, openCaseDb } from '../../src/index.js';
import { acctV3 } from './fixture.js';

const T = 1796170000;
const AXSIG = 0x10;

function hostTree(root: string, host: string, lines: number, victim: { pid: number; comm: string }) {
  const log = path.join(root, host, 'var/log');
  fs.mkdirSync(path.join(log, 'account'), { recursive: true });
  const text: string[] = [];
  for (let i = 0; i < lines; i++) text.push(`${new Date((T - 3600 + i) * 1000).toISOString().replace('Z', '000+00:00')} ${host} app[77]: tick ${i}`);
  fs.writeFileSync(path.join(log, 'syslog'), text.join('\n') + '\n');
  fs.writeFileSync(path.join(log, 'account/pacct'), acctV3({ flags: AXSIG, exitStatus: 9, pid: victim.pid, ppid: 1, btime_s: T - 60, elapsed_s: 60, comm: victim.comm }));
}

describe('a case with two hosts', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pf-hosts-'));
    hostTree(path.join(dir, 'evidence'), 'web-a', 50, { pid: 500, comm: 'nginx' });
    hostTree(path.join(dir, 'evidence'), 'db-b', 400, { pid: 600, comm: 'postgres' });
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('gives each pacct death the host of its own tree', async () => {
    const db = path.join(dir, 'case.db');
    await ingest([path.join(dir, 'evidence')], { db });
    const h = openCaseDb(db, { readonly: true });
    try {
      const byPid = new Map(findIncidents(h).map((i) => [i.pid, i]));
      expect(byPid.get(500)).toMatchObject({ host: 'web-a', comm: 'nginx', signal: 9 });
      expect(byPid.get(600)).toMatchObject({ host: 'db-b', comm: 'postgres', signal: 9 });
      const hint = h.prepare(`SELECT host_hint, host_hint_how FROM sources WHERE path LIKE '%web-a/var/log/account/pacct'`).get();
      expect(hint).toEqual({ host_hint: 'web-a', host_hint_how: `the host its sibling files under ${path.join(dir, 'evidence', 'web-a', 'var', 'log')} name` });
    } finally {
      h.close();
    }
  });

  it('takes --host for the files of one ingest', async () => {
    const db = path.join(dir, 'given.db');
    await ingest([path.join(dir, 'evidence', 'db-b')], { db });
    // The other host's pacct alone, named by the user.
    await ingest([path.join(dir, 'evidence', 'web-a', 'var/log/account/pacct')], { db, host: 'web-a' });
    const h = openCaseDb(db, { readonly: true });
    try {
      const byPid = new Map(findIncidents(h).map((i) => [i.pid, i]));
      expect(byPid.get(500)?.host).toBe('web-a');
      expect(byPid.get(600)?.host).toBe('db-b');
    } finally {
      h.close();
    }
  });
});
