// A horizontal bar chart of the OOM task table (RSS in MiB), as inline SVG: no script, no font
// or image fetch, colours from CSS classes so it follows the page's light or dark scheme.
import { escapeHtml } from './escape.js';
import { fmtMib, type RankedTask } from './model.js';

const ROW_PX = 22;
const LABEL_PX = 210;
const BAR_PX = 360;
const VALUE_PX = 170;
/** The chart shows the largest tasks only; the table below it lists the rest. */
export const CHART_MAX_BARS = 20;

export function taskChartSvg(tasks: readonly RankedTask[]): string {
  const shown = tasks.filter((t, i) => i < CHART_MAX_BARS || t.victim || t.trigger);
  if (!shown.length) return '';
  const max = Math.max(...shown.map((t) => t.rss_mib ?? 0), 0.001);
  const width = LABEL_PX + BAR_PX + VALUE_PX;
  const height = shown.length * ROW_PX + 8;
  const parts: string[] = [];
  parts.push(
    `<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="100%" role="img" aria-label="Tasks ranked by resident memory (MiB)">`,
  );
  shown.forEach((t, i) => {
    const y = 4 + i * ROW_PX;
    const w = t.rss_mib !== null ? Math.max(t.rss_mib > 0 ? 1 : 0, (t.rss_mib / max) * BAR_PX) : 0;
    const cls = t.victim ? 'bar victim' : t.trigger ? 'bar trigger' : 'bar';
    const name = t.name.length > 22 ? `${t.name.slice(0, 21)}…` : t.name;
    const tag = [t.victim ? 'victim' : '', t.trigger ? 'trigger' : ''].filter(Boolean).join(', ');
    parts.push(
      `<text x="${LABEL_PX - 6}" y="${y + 15}" text-anchor="end" class="lbl">${escapeHtml(`${name} ${t.pid}`)}</text>`,
      `<rect x="${LABEL_PX}" y="${y + 3}" width="${w.toFixed(1)}" height="${ROW_PX - 6}" class="${cls}"><title>${escapeHtml(
        `${t.name} (pid ${t.pid}): ${t.rss_mib !== null ? fmtMib(t.rss_mib) : '?'} MiB${tag ? `, ${tag}` : ''}`,
      )}</title></rect>`,
      `<text x="${(LABEL_PX + w + 4).toFixed(1)}" y="${y + 15}" class="val">${escapeHtml(
        `${t.rss_mib !== null ? fmtMib(t.rss_mib) : '?'} MiB${tag ? ` (${tag})` : ''}`,
      )}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('');
}

const TL_WIDTH = 900;
const TL_ROW_PX = 18;
const TL_LABEL_PX = 130;

/**
 * The case at a glance, for the index: one row per cause, a mark per incident at its time, the
 * first and last instants at the ends (UTC). Inline SVG like the task chart: no script, no fetch.
 */
export function incidentTimelineSvg(incidents: ReadonlyArray<{ time: string | null; cause: string; pid: number; comm: string | null }>): string {
  const timed = incidents.filter((i) => i.time !== null).map((i) => ({ ...i, ms: Date.parse(i.time!) }));
  if (timed.length < 2) return '';
  const lo = Math.min(...timed.map((i) => i.ms));
  const hi = Math.max(...timed.map((i) => i.ms));
  const causes = [...new Set(timed.map((i) => i.cause))].sort();
  const span = Math.max(1, hi - lo);
  const plot = TL_WIDTH - TL_LABEL_PX - 20;
  const height = causes.length * TL_ROW_PX + 30;
  const parts = [
    `<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${TL_WIDTH} ${height}" width="100%" role="img" aria-label="Incidents over time, by cause">`,
  ];
  causes.forEach((c, r) => {
    const y = 4 + r * TL_ROW_PX;
    parts.push(`<text x="${TL_LABEL_PX - 6}" y="${y + 12}" text-anchor="end" class="lbl">${escapeHtml(c)}</text>`);
    for (const i of timed.filter((x) => x.cause === c)) {
      const x = TL_LABEL_PX + ((i.ms - lo) / span) * plot;
      parts.push(
        `<rect x="${(x - 2).toFixed(1)}" y="${y + 2}" width="4" height="${TL_ROW_PX - 6}" class="bar${c === 'oom-kill' ? ' victim' : ''}"><title>${escapeHtml(
          `${i.time} ${i.comm ?? '?'} (pid ${i.pid}): ${c}`,
        )}</title></rect>`,
      );
    }
  });
  const y = causes.length * TL_ROW_PX + 20;
  parts.push(`<text x="${TL_LABEL_PX}" y="${y}" class="val">${escapeHtml(new Date(lo).toISOString())}</text>`);
  parts.push(`<text x="${TL_WIDTH - 20}" y="${y}" text-anchor="end" class="val">${escapeHtml(new Date(hi).toISOString())}</text>`);
  parts.push('</svg>');
  return parts.join('');
}
