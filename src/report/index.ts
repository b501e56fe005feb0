// Report entry points shared by the CLI and the demo script.
import fs from 'node:fs';
import path from 'node:path';
import type { Incident } from '../correlate/types.js';
import type { Db } from '../store/db.js';
import { safeFileName } from './escape.js';
import { renderHtml, renderHtmlIndex } from './html.js';
import { renderJson, renderJsonIndex } from './json.js';
import { renderMarkdown, renderMarkdownIndex, type IndexEntry, type IndexModel } from './markdown.js';
import { buildReportModel, relatedIncidents, type ReportModel, type ReportOptions } from './model.js';

export type ReportFormat = 'md' | 'html' | 'json';
export const REPORT_FORMATS: readonly ReportFormat[] = ['md', 'html', 'json'];

export { buildReportModel, parseDuration, parseWindow } from './model.js';
export type { ReportModel, ReportOptions } from './model.js';
export { renderMarkdown, renderHtml, renderJson };

/** Several models in one output: Markdown and HTML one after another, JSON as {"incidents": […]}. */
export function renderReports(models: readonly ReportModel[], format: ReportFormat): string {
  if (format === 'json') return renderJson(models);
  if (format === 'md') return models.map(renderMarkdown).join('\n---\n\n');
  if (models.length === 1) return renderHtml(models[0]);
  // One HTML page per incident would need several files: stack the bodies under one head.
  const pages = models.map(renderHtml);
  const head = pages[0].slice(0, pages[0].indexOf('<body>') + '<body>'.length);
  const bodies = pages.map((p) => p.slice(p.indexOf('<body>') + '<body>'.length, p.lastIndexOf('</body>')));
  return `${head}${bodies.join('\n<hr>\n')}</body>\n</html>\n`;
}

/** File names for the incidents' reports: from the id, made safe and unique. */
export function reportFileNames(incidents: readonly Incident[]): string[] {
  const seen = new Map<string, number>();
  return incidents.map((i) => {
    const base = safeFileName(i.id || `pid-${i.pid}`);
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    return n === 1 ? base : `${base}-${n}`;
  });
}

export interface WrittenReports {
  dir: string;
  files: string[];
  /** The incident and answer of each report (the timelines are written, not kept). */
  models: IndexModel[];
}

/** Writes one report per incident and format into `dir`, plus index.<format> for each format. */
export function writeReportSet(
  db: Db | null,
  incidents: readonly Incident[],
  dir: string,
  formats: readonly ReportFormat[],
  opts: ReportOptions = {},
): WrittenReports {
  fs.mkdirSync(dir, { recursive: true });
  const generatedAt = opts.generatedAt ?? new Date().toISOString();
  const names = reportFileNames(incidents);
  const files: string[] = [];
  const write = (name: string, text: string) => {
    const f = path.join(dir, name);
    fs.writeFileSync(f, text);
    files.push(f);
  };
  // One report at a time, written in every format and then dropped: a case with thousands of
  // incidents costs the memory of one report.
  const models: IndexModel[] = [];
  const related = relatedIncidents(incidents);
  const fileOf = new Map(incidents.map((i, k) => [i.id, names[k]!]));
  incidents.forEach((incident, k) => {
    const links = (related.get(incident.id) ?? []).map((r) => ({ ...r, file: fileOf.get(r.id) }));
    const model = buildReportModel(db, incident, { ...opts, generatedAt, related: links });
    for (const format of formats) {
      const linked = { ...model, related: model.related.map((r) => ({ ...r, file: r.file ? `${r.file}.${format}` : undefined })) };
      write(`${names[k]}.${format}`, format === 'md' ? renderMarkdown(linked) : format === 'html' ? renderHtml(linked) : renderJson([linked]));
    }
    models.push({ incident: model.incident, answer: model.answer, answer_text: model.answer_text });
  });
  for (const format of formats) {
    const entries: IndexEntry[] = models.map((model, k) => ({ model, file: `${names[k]}.${format}` }));
    const caseDb = opts.dbPath ?? null;
    write(
      `index.${format}`,
      format === 'md'
        ? renderMarkdownIndex(entries, generatedAt, caseDb)
        : format === 'html'
          ? renderHtmlIndex(entries, generatedAt, caseDb)
          : renderJsonIndex(entries, generatedAt, caseDb),
    );
  }
  return { dir, files, models };
}
