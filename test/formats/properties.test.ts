// Forensic input is broken by definition. For every registered format: arbitrary bytes and
// mutated real samples never make a parser throw; and through the pipeline, every unit of a damaged
// file is either stored or counted as skipped (stored + skipped == units, one event per stored unit).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FORMATS } from '../../src/formats/registry.js';
import type { FormatModule, FormatSample, Unit } from '../../src/formats/types.js';
import { ingest, listSources, openCaseDb } from '../../src/index.js';
import { runParser, unitsFromRecords } from '../helpers/run-parser.js';

const RUNS = 60;

/** Units from raw bytes split on newlines, as the line splitter makes them (invalid UTF-8 kept as U+FFFD). */
function lineUnits(buf: Buffer): Unit[] {
  const out: Unit[] = [];
  let offset = 0;
  for (const part of splitBuffer(buf)) {
    out.push({ index: out.length + 1, offset, bytes: part, text: part.toString('utf8'), truncated: false });
    offset += part.length + 1;
  }
  return out;
}

function splitBuffer(buf: Buffer): Buffer[] {
  const parts: Buffer[] = [];
  let at = 0;
  for (let i = 0; i < buf.length; i++) {
    if (buf[i] === 0x0a) {
      parts.push(buf.subarray(at, i));
      at = i + 1;
    }
  }
  if (at < buf.length) parts.push(buf.subarray(at));
  return parts;
}

function sampleBytes(f: FormatModule, s: FormatSample): Buffer {
  return f.unit === 'line' ? Buffer.from(s.input, 'utf8') : Buffer.from(s.input, 'hex');
}

/** A real sample with bytes replaced, inserted, deleted or the tail cut. */
function mutated(f: FormatModule): fc.Arbitrary<Buffer> {
  const samples = f.samples.map((s) => sampleBytes(f, s));
  return fc
    .tuple(
      fc.constantFrom(...samples),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('set', 'insert', 'delete', 'cut')), { minLength: 1, maxLength: 6 }),
    )
    .map(([base, edits]) => {
      let b = Buffer.from(base);
      for (const [pos, byte, op] of edits) {
        const at = b.length ? pos % b.length : 0;
        if (op === 'set' && b.length) b[at] = byte;
        else if (op === 'insert') b = Buffer.concat([b.subarray(0, at), Buffer.from([byte]), b.subarray(at)]);
        else if (op === 'delete') b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1)]);
        else b = b.subarray(0, at);
      }
      return b;
    });
}

function unitsOf(f: FormatModule, buf: Buffer): Unit[] {
  if (f.unit === 'line') return lineUnits(buf);
  const size = f.samples[0]?.context?.recordSize ?? Buffer.from(f.samples[0]!.input, 'hex').length;
  return unitsFromRecords(buf, size);
}

describe('no parser throws on damaged input', () => {
  for (const f of FORMATS) {
    it(`${f.name}: arbitrary bytes and mutated samples`, () => {
      const input = fc.oneof(fc.uint8Array({ maxLength: 600 }).map((a) => Buffer.from(a)), mutated(f), fc.string({ unit: 'binary', maxLength: 300 }).map((s) => Buffer.from(s)));
      fc.assert(
        fc.property(fc.array(input, { minLength: 1, maxLength: 4 }), (parts) => {
          const buf = f.unit === 'line' ? Buffer.concat(parts.flatMap((p) => [p, Buffer.from('\n')])) : Buffer.concat(parts);
          const size = f.unit === 'record' ? (f.samples[0]?.context?.recordSize ?? Buffer.from(f.samples[0]!.input, 'hex').length) : 0;
          runParser(f, unitsOf(f, buf), { recordSize: size });
        }),
        { numRuns: RUNS, seed: 20261202 },
      );
    });
  }
});

describe('through the pipeline, every unit of a damaged file is stored or skipped', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pf-prop-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  // Files the pipeline reads line by line or record by record (the others read their own files).
  for (const f of FORMATS.filter((x) => !x.readUnits)) {
    it(`${f.name}`, async () => {
      let run = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(mutated(f), { minLength: 1, maxLength: 8 }), async (bad) => {
          // Whole samples first, so detection claims the file as this format; the damage follows.
          const good = f.samples.filter((s) => !s.skipped && !s.context).map((s) => sampleBytes(f, s));
          if (!good.length) return;
          const sep = f.unit === 'line' ? Buffer.from('\n') : Buffer.alloc(0);
          const body = Buffer.concat([...good, ...good, ...bad].flatMap((b) => [b, sep]));
          const sub = path.join(dir, `${f.name}-${run++}`);
          fs.mkdirSync(sub);
          const file = path.join(sub, 'evidence.log');
          fs.writeFileSync(file, body);
          const db = path.join(sub, 'case.db');
          await ingest([file], { db });
          const h = openCaseDb(db, { readonly: true });
          try {
            for (const s of listSources(h)) {
              expect(s.stored + s.skipped, `${f.name}: ${s.status}`).toBe(s.units);
              const events = h.prepare(`SELECT COALESCE(SUM(lines), 0) FROM event_blocks`).pluck().get() as number;
              expect(events).toBeLessThanOrEqual(s.stored);
            }
          } finally {
            h.close();
          }
        }),
        { numRuns: 8, seed: 20261202 },
      );
    }, 60_000);
  }
});
