// One self-contained HTML file per report: inline CSS, no JavaScript, and a Content Security
// Policy that forbids every fetch (a report is opened from a ticket attachment or a file share and
// must not call out, even if escaping were ever wrong). Readable printed, on a phone, light or dark.
import { escapeHtml, escapeHtmlPre } from './escape.js';
import { fmtDuration, fmtMib, foldedPhrase, repeatGroups, type Fact, type ReportModel, type Span, type TimelineCopy } from './model.js';
import { incidentTimelineSvg, taskChartSvg } from './svg.js';
import type { IndexEntry } from './markdown.js';

export const CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

const CSS = `
:root{color-scheme:light dark;--fg:#1b1f24;--bg:#fff;--muted:#59636e;--line:#d1d9e0;--code:#f3f5f7;--mark:#fff3c4;--decisive:#ffe08a;--victim:#c62828;--trigger:#ef8f00;--bar:#6b8fb8}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--bg:#0d1117;--muted:#9198a1;--line:#3d444d;--code:#161b22;--mark:#3a3212;--decisive:#5a4a0e;--victim:#ff6b6b;--trigger:#ffb454;--bar:#5b82ad}}
*{box-sizing:border-box}
body{margin:0 auto;max-width:1100px;padding:16px;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
h1{font-size:1.5em;margin:.2em 0 .6em}h2{font-size:1.2em;margin:1.6em 0 .5em;border-bottom:1px solid var(--line);padding-bottom:.2em}h3{font-size:1.05em}
code,pre,.tl td.t{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.9em}
code{background:var(--code);padding:0 .25em;border-radius:3px;overflow-wrap:anywhere}
.answer{font-size:1.1em;padding:.7em 1em;border-left:4px solid var(--victim);background:var(--code)}
.scroll{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;margin:.4em 0}
th,td{border:1px solid var(--line);padding:.25em .5em;text-align:left;vertical-align:top}
th{background:var(--code)}
td.n{text-align:right;font-variant-numeric:tabular-nums}
table.facts th{width:13em;font-weight:600}
table.facts td{overflow-wrap:anywhere}
.tl{font-size:.85em;width:100%}
.tl td{white-space:nowrap}
.tl td.t{white-space:pre-wrap;overflow-wrap:anywhere;min-width:24em}
.tl td.role{white-space:normal;min-width:8em;max-width:14em}
.tl .also{white-space:normal;font-size:.85em;color:var(--muted);max-width:22em}.tl .also .ref{white-space:nowrap}
.tl tr.ev{background:var(--mark)}
.tl tr.decisive{background:var(--decisive);font-weight:600}
.approx{color:var(--muted)}
.muted{color:var(--muted)}
tr.victim td{color:var(--victim);font-weight:600}
tr.trigger td{color:var(--trigger);font-weight:600}
.chart{max-width:760px;display:block;margin:.5em 0}
.chart .lbl,.chart .val{fill:var(--fg);font:12px ui-monospace,Menlo,Consolas,monospace}
.chart .bar{fill:var(--bar)}.chart .bar.victim{fill:var(--victim)}.chart .bar.trigger{fill:var(--trigger)}
ol.chain li{margin:.2em 0}
footer{margin-top:2em;color:var(--muted);font-size:.85em}
@media (max-width:600px){body{padding:8px;font-size:14px}table.facts th{width:auto}}
@media print{:root{--fg:#000;--bg:#fff;--code:#f2f2f2;--mark:#fff3c4;--decisive:#ffe08a}body{max-width:none;padding:0;font-size:10pt}.scroll{overflow:visible}.tl td{white-space:pre-wrap}h2{break-after:avoid}tr{break-inside:avoid}}
`.trim();

function spans(s: readonly Span[]): string {
  return s.map((x) => ('t' in x ? escapeHtml(x.t) : `<code>${escapeHtml(x.v)}</code>`)).join('');
}

function page(title: string, body: string): string {
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${escapeHtml(CSP)}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="referrer" content="no-referrer">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>${CSS}</style>`,
    '</head>',
    '<body>',
    body,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

function factRows(facts: readonly Fact[]): string {
  return facts.map((f) => `<tr><th scope="row">${escapeHtml(f.label)}</th><td>${spans(f.value)}</td></tr>`).join('\n');
}

/** The other files that recorded the line, under the row's own source; a cited copy is marked. */
function alsoHtml(copies: readonly TimelineCopy[]): string {
  if (!copies.length) return '';
  const items = copies.map((c) => {
    const ref = escapeHtml(`${c.source_short}:${c.line}`);
    return c.evidence ? `<strong class="ref" title="cited by the verdict">${ref}</strong>` : `<span class="ref">${ref}</span>`;
  });
  return `<div class="also">also ${items.join(', ')}</div>`;
}

function list(items: readonly string[], none: string): string {
  return items.length ? `<ul>\n${items.map((i) => `<li>${escapeHtml(i)}</li>`).join('\n')}\n</ul>` : `<p class="muted">${escapeHtml(none)}</p>`;
}

export function renderHtml(m: ReportModel): string {
  const B: string[] = [];
  const plainTitle = m.title.map((s) => ('t' in s ? s.t : s.v)).join('');
  B.push(`<header><h1>${spans(m.title)}</h1>`, `<p class="answer">${spans(m.answer)}</p></header>`);

  B.push('<section><h2>Facts</h2>', `<div class="scroll"><table class="facts">\n${factRows(m.facts)}\n</table></div>`);
  if (m.chain_title) {
    B.push(`<h3>${escapeHtml(m.chain_title)}</h3>`, '<ol class="chain">');
    for (const f of m.chain) B.push(`<li><strong>${escapeHtml(f.label)}:</strong> ${spans(f.value)}</li>`);
    B.push('</ol>');
  }
  B.push('</section>');

  const tl = m.timeline;
  B.push('<section><h2>The moments before</h2>');
  const range = tl.from_utc && tl.to_utc ? `${tl.from_utc} to ${tl.to_utc} UTC` : 'no time window';
  B.push(
    `<p>${escapeHtml(
      `${range} (${fmtDuration(tl.window_before_ms)} before, ${fmtDuration(tl.window_after_ms)} after), every source merged: ${tl.rows.length} of ${tl.total} rows shown` +
        (tl.folded ? `, ${foldedPhrase(tl.folded)} (listed under the source)` : '') +
        '. Evidence rows are highlighted, decisive ones in bold.',
    )}</p>`,
  );
  if (tl.note) B.push(`<p class="muted">${escapeHtml(tl.note)}</p>`);
  if (tl.rows.length) {
    B.push('<div class="scroll"><table class="tl">', '<thead><tr><th>Time (UTC)</th><th>Source</th><th>Line</th><th>Evidence</th></tr></thead>', '<tbody>');
    for (const r of tl.rows) {
      const cls = r.decisive ? ' class="ev decisive"' : r.evidence ? ' class="ev"' : '';
      const time = r.time_utc
        ? r.time_quality === 'exact'
          ? escapeHtml(r.time_utc)
          : `<span class="approx" title="${escapeHtml(`time ${r.time_quality}`)}">~${escapeHtml(r.time_utc)}</span>`
        : '<span class="muted">no time</span>';
      const role = r.evidence ? escapeHtml(r.role ?? (r.decisive ? 'decisive' : 'evidence')) : '';
      B.push(
        `<tr${cls}><td>${time}</td><td>${escapeHtml(`${r.source_short}:${r.line}`)}${alsoHtml(r.copies)}</td><td class="t">${escapeHtmlPre(r.text)}</td><td class="role">${role}</td></tr>`,
      );
    }
    B.push('</tbody></table></div>');
  } else B.push('<p class="muted">No lines in the case database fall in this window.</p>');
  B.push('</section>');

  if (m.oom) {
    B.push('<section><h2>Task table at the time of the kill</h2>');
    if (m.oom.tasks.length) {
      B.push(taskChartSvg(m.oom.tasks));
      B.push(
        '<div class="scroll"><table>',
        '<thead><tr><th>Rank</th><th>PID</th><th>Name</th><th>UID</th><th>RSS (MiB)</th><th>oom_score_adj</th><th></th></tr></thead>',
        '<tbody>',
      );
      for (const t of m.oom.tasks) {
        const cls = t.victim ? ' class="victim"' : t.trigger ? ' class="trigger"' : '';
        const tag = [t.victim ? 'victim' : '', t.trigger ? 'trigger' : ''].filter(Boolean).join(', ');
        B.push(
          `<tr${cls}><td class="n">${t.rank}</td><td class="n">${t.pid}</td><td><code>${escapeHtml(t.name)}</code></td><td class="n">${t.uid ?? '?'}</td>` +
            `<td class="n">${t.rss_mib !== null ? fmtMib(t.rss_mib) : '?'}</td><td class="n">${t.oom_score_adj ?? '?'}</td><td>${tag}</td></tr>`,
        );
      }
      B.push('</tbody></table></div>');
      if (m.oom.omitted) B.push(`<p class="muted">${m.oom.omitted} smaller task(s) left out.</p>`);
    }
    B.push(list(m.oom.notes, ''), '</section>');
  }

  B.push('<section><h2>Alternatives ruled out</h2>', list(m.alternatives, 'None recorded.'), '</section>');
  B.push('<section><h2>Missing evidence</h2>', list(m.missing_evidence, 'None: every expected source was present.'), '</section>');
  B.push('<section><h2>Recommendations</h2>', list(m.recommendations, 'None.'), '</section>');
  if (m.related.length) {
    B.push('<section><h2>Related incidents</h2><ul>');
    for (const r of m.related) {
      const who = escapeHtml(`${r.comm ?? '?'} (pid ${r.pid})`);
      // The href is a file name this tool made from safe characters only.
      B.push(`<li>${escapeHtml(r.label)}: ${r.file ? `<a href="${escapeHtml(encodeURI(r.file))}">${who}</a>` : who} <code>${escapeHtml(r.id)}</code></li>`);
    }
    B.push('</ul></section>');
  }

  const p = m.provenance;
  B.push('<footer><h2>Provenance</h2>', '<ul>');
  B.push(`<li>Case database: ${p.case_db ? `<code>${escapeHtml(p.case_db)}</code>` : '(not given)'}</li>`);
  B.push(`<li>Tool: ${escapeHtml(`${p.tool} ${p.version}`)}</li>`, `<li>Generated: ${escapeHtml(p.generated_at)}</li>`, '</ul>');
  if (p.sources.length) {
    B.push('<div class="scroll"><table>', '<thead><tr><th>File</th><th>Format</th><th>sha256</th></tr></thead>', '<tbody>');
    for (const s of p.sources) {
      B.push(
        `<tr><td><code>${escapeHtml(s.path)}</code></td><td>${escapeHtml(s.format ?? '?')}</td><td><code>${escapeHtml(s.sha256 ?? '(not in the case database)')}</code></td></tr>`,
      );
    }
    B.push('</tbody></table></div>');
  }
  B.push('</footer>');
  return page(plainTitle, B.join('\n'));
}

export function renderHtmlIndex(entries: readonly IndexEntry[], generatedAt: string, caseDb: string | null): string {
  const B: string[] = ['<h1>Incidents</h1>'];
  B.push(`<p>${escapeHtml(`${entries.length} incident(s) found in ${caseDb ?? 'the case database'}; generated ${generatedAt}.`)}</p>`);
  const timeline = incidentTimelineSvg(entries.map((e) => e.model.incident));
  if (timeline) B.push('<section><h2>Over time</h2>', timeline, '</section>');
  const repeats = repeatGroups(entries.map((e) => e.model.incident));
  if (repeats.length) {
    B.push('<section><h2>Repeats</h2><ul>');
    for (const g of repeats) {
      B.push(`<li>${escapeHtml(`${g.members.length} ${g.what}`)}: ${g.members.map((m) => `<code>${escapeHtml(`${m.comm ?? '?'} ${m.pid}`)}</code>`).join(', ')}</li>`);
    }
    B.push('</ul></section>');
  }
  B.push(
    '<div class="scroll"><table>',
    '<thead><tr><th>Time (UTC)</th><th>Host</th><th>PID</th><th>Name</th><th>Cause</th><th>Confidence</th><th>Answer</th></tr></thead>',
    '<tbody>',
  );
  for (const e of entries) {
    const i = e.model.incident;
    // The file name is made by safeFileName (letters, digits, . _ -): safe in an href as is.
    B.push(
      `<tr><td>${escapeHtml(i.time ?? '?')}</td><td>${i.host ? `<code>${escapeHtml(i.host)}</code>` : '?'}</td><td class="n">${i.pid}</td><td>${i.comm ? `<code>${escapeHtml(i.comm)}</code>` : '?'}</td>` +
        `<td>${escapeHtml(i.cause)}</td><td>${escapeHtml(i.confidence)}</td><td><a href="${escapeHtml(e.file)}">${spans(e.model.answer)}</a></td></tr>`,
    );
  }
  B.push('</tbody></table></div>');
  return page('Incidents', B.join('\n'));
}
