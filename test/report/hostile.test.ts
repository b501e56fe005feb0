// Names a process, a user or a command line can give itself, through every output: nothing a log
// holds may become a link, a mention, a reference, an emoji, HTML, a table break or a terminal
// control in what we print.
import { describe, expect, it } from 'vitest';
import { renderHtml } from '../../src/report/html.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { buildReportModel } from '../../src/report/model.js';
import { mdText } from '../../src/report/escape.js';
import { safeText } from '../../src/cli/terminal.js';
import * as F from './fixtures.js';

const HOSTILE = ['www.evil.io', '@here', '#1', '!12', 'https://evil.io/x', 'mallory@evil.io', ':smile:', '<svg onload=1>', 'a|b', '\u202eexe.txt', '\x1b[2J\x1b]52;c;ZXZpbA==\x07'];

/** The Markdown a renderer reads as prose: fenced blocks and code spans removed. */
function prose(md: string): string {
  const noFences = md.replace(/^(`{3,})[^\n]*\n[\s\S]*?\n\1$/gm, '');
  return noFences.replace(/(`+)(?!`)[\s\S]*?[^`]\1(?!`)/g, ' ');
}

function liveTokens(md: string): string[] {
  const p = prose(md);
  const found: string[] = [];
  const checks: Array<[string, RegExp]> = [
    ['autolink', /www\.|https?:\/\//i],
    ['email', /[^\s\\]@[a-z0-9-]+\.[a-z]/i],
    ['mention', /(^|[^\\\w])@[a-z]/im],
    ['reference', /(^|[\s(])[#!]\d/m],
    ['emoji', /:[a-z][a-z0-9_+-]*:/],
    ['html', /(^|[^\\])<[a-z/!]/im],
    ['control', /[\u0000-\u0008\u000b-\u001f\u007f\u202a-\u202e\u2066-\u2069]/],
  ];
  for (const [what, re] of checks) if (re.test(p)) found.push(`${what}: ${re.exec(p)![0]}`);
  return found;
}

function hostileIncident() {
  const inc = F.sudoKillIncident();
  inc.comm = 'www.evil.io';
  inc.actor = { ...inc.actor, user: '@here', command: `/usr/bin/kill -9 ${HOSTILE.join(' ')}`, sender_comm: '#1 !12 :smile:' };
  inc.summary = `@here killed www.evil.io with ${HOSTILE.join(' ')}`;
  inc.alternatives = [`Not an OOM kill of www.evil.io (@here, #1, !12, mallory@evil.io, :smile:, https://evil.io/x).`];
  inc.missing_evidence = [`no audit record for the sender ${HOSTILE.join(', ')}`];
  inc.recommendations = [`protect www.evil.io if it must survive; tell @here about #1 and !12 :smile:`];
  return inc;
}

describe('hostile names in every output', () => {
  it('Markdown: no token of a log is live anywhere in the document, and table rows keep their cells', () => {
    const md = renderMarkdown(buildReportModel(F.makeCaseDb(), hostileIncident(), { generatedAt: '2026-11-22T00:00:00Z' }));
    expect(liveTokens(md)).toEqual([]);
    expect(md).toContain('`www.evil.io`');
    expect(md).toContain('`@here`');
    // Every table row has as many unescaped cell separators as its header.
    const lines = md.split('\n');
    for (let i = 0; i < lines.length; i++) {
      if (!/^\|.*\|$/.test(lines[i]!) || !/^\|[-:| ]+\|$/.test(lines[i + 1] ?? '')) continue;
      const cells = (l: string) => l.replace(/\\\|/g, '').split('|').length;
      const n = cells(lines[i]!);
      for (let j = i + 2; j < lines.length && lines[j]!.startsWith('|'); j++) expect(cells(lines[j]!), lines[j]).toBe(n);
    }
  });

  it('mdText turns each live token into code and leaves ordinary prose and times alone', () => {
    expect(mdText('protect www.evil.io if it must survive')).toBe('protect `www.evil.io` if it must survive');
    expect(mdText('ping @here and see #1')).toBe('ping `@here` and see `#1`');
    expect(mdText('killed at 21:48:45.047 by pid 16430')).toBe('killed at 21:48:45.047 by pid 16430');
    expect(mdText('#1 first')).toBe('`#1` first');
    for (const h of HOSTILE) expect(liveTokens(mdText(`x ${h} y`)), h).toEqual([]);
  });

  it('HTML: every value is inert text', () => {
    const html = renderHtml(buildReportModel(F.makeCaseDb(), hostileIncident(), { generatedAt: '2026-11-22T00:00:00Z' }));
    expect(html).not.toMatch(/<svg|onload=1>|<a [^>]*evil|\u202e|\x1b/);
    expect(html).toContain('&lt;svg onload=1&gt;');
  });

  it('terminal: controls, bidi overrides and zero-width characters are shown, never sent', () => {
    const t = safeText('a\x1b[2Jb\u202ec\u2066d\u200be\ufefff\x07');
    expect(t).toBe('a\\x1b[2Jb\\u202ec\\u2066d\\u200be\\ufefff\\x07');
    expect(t).not.toMatch(/[\u0000-\u001f\u202a-\u202e\u2066-\u2069\u200b\ufeff]/);
  });
});
