// Everything a report shows that came from a log (comm, command lines, user names, host names,
// paths, whole lines) is attacker-controlled: a process can name itself `<svg onload=1>`, a
// command line can hold backticks, pipes, newlines, terminal escapes or bidi overrides
// ("trojan source"). These helpers make such text inert and visible in each output format.

// C0/C1 controls, DEL, line/paragraph separators and the bidi embedding/override/isolate marks.
// eslint-disable-next-line no-control-regex
const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** Shows control and bidi characters as `\xNN` / `\uNNNN` so they can neither act nor hide. */
export function visible(s: string): string {
  return s.replace(INVISIBLE, (c) => {
    const code = c.charCodeAt(0);
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** Like `visible` but keeps tabs, for preformatted blocks where a tab is harmless. */
function visibleKeepTab(s: string): string {
  return s.split('\t').map(visible).join('\t');
}

const HTML_ENTITIES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text for HTML element content or a quoted attribute value. */
export function escapeHtml(s: string): string {
  return visible(s).replace(/[&<>"']/g, (c) => HTML_ENTITIES[c]);
}

/** Text for an HTML <pre> block: tabs kept, everything else as escapeHtml. */
export function escapeHtmlPre(s: string): string {
  return visibleKeepTab(s).replace(/[&<>"']/g, (c) => HTML_ENTITIES[c]);
}

function longestRun(s: string, ch: string): number {
  let best = 0;
  let run = 0;
  for (const c of s) {
    if (c === ch) {
      run++;
      if (run > best) best = run;
    } else run = 0;
  }
  return best;
}

/**
 * A Markdown code span holding `s` literally. The fence is one backtick longer than the longest
 * backtick run inside; padding spaces are added when the text starts or ends with a backtick or
 * a space (CommonMark strips exactly one space from each side when both are present). Inside a
 * GFM table a `|` still ends the cell even in a code span, so it is written `\|` there (GitHub
 * and GitLab both drop the backslash inside code spans in tables).
 */
export function mdCode(s: string, inTable = false): string {
  let v = visible(s);
  if (v === '') return '*(empty)*';
  if (inTable) v = v.replace(/\|/g, '\\|');
  const fence = '`'.repeat(longestRun(v, '`') + 1);
  const pad = v.startsWith('`') || v.endsWith('`') || v.startsWith(' ') || v.endsWith(' ') ? ' ' : '';
  return `${fence}${pad}${v}${pad}${fence}`;
}

/**
 * What GitHub, GitLab and Jira turn into a link, a mention or a reference even when no markup
 * character is involved: URLs and `www.` autolinks, e-mail autolinks, `@mentions`, `#12` / `!12`
 * / `GH-12` references, `:emoji:` shortcodes, `user/repo#12`. Backslash escapes do not stop all of
 * them on every renderer; a code span does, so such a token taken from a log is shown as code.
 */
const LIVE_TOKEN =
  /(?:[a-z][a-z0-9+.-]*:\/\/|www\.)[^\s|`]+|[^\s|`@]+@[^\s|`@]+\.[^\s|`@]+|@[^\s|`]+|[^\s|`]*[#!]\d+[^\s|`]*|\bGH-\d+|:[a-z][a-z0-9_+-]*:/gi;

function escapeProse(v: string): string {
  return v.replace(/[\\`*_[\]<>|~&]/g, '\\$&');
}

/**
 * Plain Markdown text with every character that could start markup backslash-escaped: emphasis,
 * code, links, raw HTML and autolinks (`<`), entities (`&`), strikethrough and table pipes; a
 * block marker (`#`, `-`, `+`, `>`, `1.`) at the start is escaped too. Tokens a renderer would
 * link or mention by themselves (LIVE_TOKEN) become code spans. Newlines become spaces so a
 * sentence or a table cell stays one line.
 */
export function mdText(s: string): string {
  const src = visible(s.replace(/\r\n|\r|\n/g, ' '));
  let v = '';
  let at = 0;
  for (const m of src.matchAll(LIVE_TOKEN)) {
    v += escapeProse(src.slice(at, m.index)) + mdCode(m[0]);
    at = m.index! + m[0].length;
  }
  v += escapeProse(src.slice(at));
  const lead = /^(\s*)([#+\-=]|\d+(?=[.)]))/.exec(v);
  if (lead) {
    const at = lead[1].length;
    if (/\d/.test(v[at])) {
      // "1." at the start of a line is an ordered list: escape the dot, not the digit.
      const dot = at + lead[2].length;
      v = `${v.slice(0, dot)}\\${v.slice(dot)}`;
    } else v = `${v.slice(0, at)}\\${v.slice(at)}`;
  }
  return v;
}

/**
 * A fenced Markdown code block: the fence is longer than any backtick run in the content, so a
 * log line holding ``` cannot close it early.
 */
export function mdFence(lines: readonly string[], info = ''): string {
  const body = lines.map(visibleKeepTab);
  let run = 0;
  for (const l of body) run = Math.max(run, longestRun(l, '`'));
  const fence = '`'.repeat(Math.max(3, run + 1));
  return `${fence}${info}\n${body.join('\n')}\n${fence}`;
}

/** A file name made of safe characters only, for reports named after an incident id. */
export function safeFileName(s: string, fallback = 'incident'): string {
  const v = s.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._]+/, '').slice(0, 100);
  return v || fallback;
}
