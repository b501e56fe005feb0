// Markdown for an incident ticket: renders on GitHub, GitLab and Jira's Markdown import. Log
// values are code spans (escaped for tables), prose is backslash-escaped, and log lines go in
// fenced blocks whose fence is longer than any backtick run in them.
import { mdCode, mdFence, mdText } from './escape.js';
import { fmtDuration, fmtMib, foldedPhrase, repeatGroups, type Fact, type ReportModel, type Span, type TimelineCopy } from './model.js';

function spans(s: readonly Span[], inTable = false): string {
  return s.map((x) => ('t' in x ? mdText(x.t) : mdCode(x.v, inTable))).join('');
}

function factTable(facts: readonly Fact[]): string[] {
  const out = ['| | |', '|---|---|'];
  for (const f of facts) out.push(`| ${mdText(f.label)} | ${spans(f.value, true)} |`);
  return out;
}

function bullets(items: readonly string[], none: string): string[] {
  return items.length ? items.map((i) => `- ${mdText(i)}`) : [`- ${mdText(none)}`];
}

const BAR_WIDTH = 24;

function copyList(copies: readonly TimelineCopy[]): string {
  return copies.map((c) => `${c.source_short}:${c.line}`).join(', ');
}

export function renderMarkdown(m: ReportModel): string {
  const L: string[] = [];
  L.push(`# ${spans(m.title)}`, '');
  L.push(`**Answer:** ${spans(m.answer)}`, '');

  L.push('## Facts', '', ...factTable(m.facts), '');
  if (m.chain_title) {
    L.push(`### ${mdText(m.chain_title)}`, '');
    m.chain.forEach((f, i) => L.push(`${i + 1}. **${mdText(f.label)}:** ${spans(f.value)}`));
    L.push('');
  }

  if (m.oom) {
    L.push('## Task table at the time of the kill', '');
    if (m.oom.tasks.length) {
      const max = Math.max(...m.oom.tasks.map((t) => t.rss_mib ?? 0), 0.001);
      L.push('| Rank | PID | Name | RSS (MiB) | oom_score_adj | | RSS |', '|---:|---:|---|---:|---:|---|---|');
      for (const t of m.oom.tasks) {
        const mark = [t.victim ? '**victim**' : '', t.trigger ? '**trigger**' : ''].filter(Boolean).join(', ');
        const bar = t.rss_mib !== null ? '█'.repeat(Math.max(t.rss_mib > 0 ? 1 : 0, Math.round((t.rss_mib / max) * BAR_WIDTH))) : '';
        L.push(
          `| ${t.rank} | ${t.pid} | ${mdCode(t.name, true)} | ${t.rss_mib !== null ? fmtMib(t.rss_mib) : '?'} | ${t.oom_score_adj ?? '?'} | ${mark} | ${bar} |`,
        );
      }
      L.push('');
      if (m.oom.omitted) L.push(mdText(`${m.oom.omitted} smaller task(s) left out.`), '');
    }
    for (const n of m.oom.notes) L.push(`- ${mdText(n)}`);
    L.push('');
  }

  L.push('## Alternatives ruled out', '', ...bullets(m.alternatives, 'None recorded.'), '');
  L.push('## Missing evidence', '', ...bullets(m.missing_evidence, 'None: every expected source was present.'), '');
  L.push('## Recommendations', '', ...bullets(m.recommendations, 'None.'), '');
  if (m.related.length) {
    L.push('## Related incidents', '');
    for (const r of m.related) {
      const who = `${r.comm ?? '?'} (pid ${r.pid})`;
      // The link target is a file name this tool made (safe characters only); the name is escaped.
      L.push(`- ${mdText(r.label)}: ${r.file ? `[${mdText(who)}](${encodeURI(r.file)})` : mdText(who)} ${mdCode(r.id)}`);
    }
    L.push('');
  }

  // The timeline last: a ticket reader needs the answer, the chain and what is missing first.
  const tl = m.timeline;
  L.push('## The moments before', '');
  const range = tl.from_utc && tl.to_utc ? `${tl.from_utc} to ${tl.to_utc} UTC` : 'no time window';
  L.push(
    mdText(
      `${range} (${fmtDuration(tl.window_before_ms)} before, ${fmtDuration(tl.window_after_ms)} after), every source merged: ` +
        `${tl.rows.length} of ${tl.total} rows shown` +
        (tl.folded ? `, ${foldedPhrase(tl.folded)} (listed after "also")` : '') +
        `. Evidence lines are marked >> (decisive) or > (supporting); their roles are listed below the block.`,
    ),
    '',
  );
  if (tl.note) L.push(mdText(tl.note), '');
  if (tl.rows.length) {
    const srcW = Math.min(40, Math.max(...tl.rows.map((r) => `${r.source_short}:${r.line}`.length)));
    const lines = tl.rows.map((r) => {
      const mark = r.decisive ? '>>' : r.evidence ? '> ' : '  ';
      const time = r.time_utc ? `${r.time_utc}${r.time_quality === 'exact' ? ' ' : '~'}` : '(no time)'.padEnd(20);
      return `${mark} ${time.padEnd(24)} ${`${r.source_short}:${r.line}`.padEnd(srcW)}  ${r.text}${r.copies.length ? `  «also ${copyList(r.copies)}»` : ''}`;
    });
    L.push(mdFence(lines, 'text'), '');
  } else L.push(mdText('No lines in the case database fall in this window.'), '');
  const roles = tl.rows.filter((r) => r.evidence);
  if (roles.length) {
    L.push('| | Source | Role |', '|---|---|---|');
    for (const r of roles) {
      // When the verdict cites a copy that the row does not show, name the cited copy too.
      const citedCopies = r.copies.filter((c) => c.evidence);
      const src = mdCode(`${r.source_short}:${r.line}`, true) + (citedCopies.length ? ` ${mdText('(copies cited:')} ${mdCode(copyList(citedCopies), true)})` : '');
      L.push(`| ${r.decisive ? '>>' : '>'} | ${src} | ${mdText(r.role ?? (r.decisive ? 'decisive' : 'evidence'))} |`);
    }
    L.push('');
  }


  const p = m.provenance;
  L.push('## Provenance', '');
  L.push(`- Case database: ${p.case_db ? mdCode(p.case_db) : mdText('(not given)')}`);
  L.push(`- Tool: ${mdText(`${p.tool} ${p.version}`)}`);
  L.push(`- Generated: ${mdText(p.generated_at)}`, '');
  if (p.sources.length) {
    L.push('| File | Format | sha256 |', '|---|---|---|');
    for (const s of p.sources) {
      L.push(`| ${mdCode(s.path, true)} | ${s.format ? mdCode(s.format, true) : '?'} | ${s.sha256 ? mdCode(s.sha256, true) : mdText('(not in the case database)')} |`);
    }
    L.push('');
  }
  return L.join('\n');
}

/** What an index row needs of a report: the incident and its answer. */
export type IndexModel = Pick<ReportModel, 'incident' | 'answer' | 'answer_text'>;

export interface IndexEntry {
  model: IndexModel;
  /** File name of the report, relative to the index. */
  file: string;
}

export function renderMarkdownIndex(entries: readonly IndexEntry[], generatedAt: string, caseDb: string | null): string {
  const L: string[] = ['# Incidents', ''];
  L.push(mdText(`${entries.length} incident(s) found in ${caseDb ?? 'the case database'}; generated ${generatedAt}.`), '');
  const repeats = repeatGroups(entries.map((e) => e.model.incident));
  if (repeats.length) {
    L.push('## Repeats', '');
    for (const g of repeats) {
      L.push(`- ${mdText(`${g.members.length} ${g.what}`)}: ${g.members.map((m) => mdCode(`${m.comm ?? '?'} ${m.pid}`)).join(', ')}`);
    }
    L.push('', '## Every incident', '');
  }
  L.push('| Time (UTC) | Host | PID | Name | Cause | Confidence | Answer | Report |', '|---|---|---:|---|---|---|---|---|');
  for (const e of entries) {
    const i = e.model.incident;
    const t = i.time ? i.time : '?';
    L.push(
      `| ${mdText(t)} | ${i.host ? mdCode(i.host, true) : '?'} | ${i.pid} | ${i.comm ? mdCode(i.comm, true) : '?'} | ${mdText(i.cause)} | ${mdText(i.confidence)} | ${spans(e.model.answer, true)} | [${mdText(e.file)}](${encodeURI(e.file)}) |`,
    );
  }
  L.push('');
  return L.join('\n');
}
