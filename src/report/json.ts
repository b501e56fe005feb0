// JSON keeps the Incident contract (src/correlate/types.ts) at the top level, so a consumer of
// `procforensics incidents --json` reads a report the same way; what the report adds (the answer
// sentence, local times, the merged timeline, the ranked task table, provenance) sits under
// `report`, a key the contract does not use.
import type { Incident } from '../correlate/types.js';
import type { ReportModel } from './model.js';

export type ReportJson = Incident & { report: Omit<ReportModel, 'incident'> };

export function reportJson(m: ReportModel): ReportJson {
  const { incident, ...extras } = m;
  return { ...incident, report: extras };
}

/** One incident: the incident object plus `report`. Several: `{"incidents": [...]}`. */
export function renderJson(models: readonly ReportModel[]): string {
  const body = models.length === 1 ? reportJson(models[0]) : { incidents: models.map(reportJson) };
  return JSON.stringify(body, null, 2) + '\n';
}

/** The index of an --all run: the bare contract objects plus the file each report went to. */
export function renderJsonIndex(entries: ReadonlyArray<{ model: Pick<ReportModel, 'incident'>; file: string }>, generatedAt: string, caseDb: string | null): string {
  return (
    JSON.stringify(
      { generated_at: generatedAt, case_db: caseDb, incidents: entries.map((e) => ({ ...e.model.incident, report_file: e.file })) },
      null,
      2,
    ) + '\n'
  );
}
