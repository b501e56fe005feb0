// Every format module is registered, and every sample line of every format yields the fields it
// documents (lnav's `sample` entries, remark-lint's examples: one loop for all).
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FORMATS } from '../../src/formats/registry.js';
import { runParser, unitsFromRecords, unitsFromText } from '../helpers/run-parser.js';

const FORMAT_DIR = path.resolve(__dirname, '../../src/formats');
const NOT_FORMATS = new Set(['types.ts', 'registry.ts']);

describe('format registry', () => {
  it('lists every module in src/formats', () => {
    const files = fs
      .readdirSync(FORMAT_DIR)
      .filter((f) => f.endsWith('.ts') && !NOT_FORMATS.has(f));
    const registeredSources = new Set<string>();
    const registry = fs.readFileSync(path.join(FORMAT_DIR, 'registry.ts'), 'utf8');
    for (const f of files) {
      const mod = f.replace(/\.ts$/, '');
      if (registry.includes(`from './${mod}.js'`)) registeredSources.add(f);
    }
    expect([...registeredSources].sort()).toEqual(files.sort());
  });

  it('has unique names and at least one sample per format', () => {
    const names = FORMATS.map((f) => f.name);
    expect(new Set(names).size).toBe(names.length);
    for (const f of FORMATS) expect(f.samples.length, f.name).toBeGreaterThan(0);
  });
});

for (const format of FORMATS) {
  describe(`format ${format.name} samples`, () => {
    format.samples.forEach((sample, i) => {
      it(`sample ${i + 1}${sample.note ? ': ' + sample.note : ''}`, () => {
        const units =
          format.unit === 'line'
            ? unitsFromText(sample.input)
            : unitsFromRecords(Buffer.from(sample.input, 'hex'), sample.context?.recordSize ?? Buffer.from(sample.input, 'hex').length);
        const got = runParser(format, units, { recordSize: units[0]?.bytes.length ?? 0, ...sample.context });
        if (sample.skipped) {
          expect(got.skips.length).toBeGreaterThan(0);
          return;
        }
        if (sample.event) {
          expect(got.events.length).toBeGreaterThan(0);
          expect(got.events[got.events.length - 1]).toMatchObject(sample.event);
        }
        for (const f of sample.facts ?? []) {
          const match = got.facts.find((x) => x.table === f.table && Object.entries(f.row).every(([k, v]) => x.row[k] === v));
          expect(match, `${f.table} ${JSON.stringify(f.row)} in ${JSON.stringify(got.facts)}`).toBeTruthy();
        }
      });
    });
  });
}
