// Line-numbered excerpts: what people hand over instead of the file, `grep -n` or `cat -n` output,
// or lines copied from an editor or a ticket with their numbers:
//
//   2031 Mar 23 10:15:01 capstone kernel: [ 1234.567890] python invoked oom-killer: gfp_mask=0x201da, order=0
//   2031:Mar 23 10:15:01 capstone kernel: …            (grep -n)
//     2031	Mar 23 10:15:01 capstone kernel: …          (cat -n: right-aligned, then a tab)
//
// The number is the line's place in the original file, not part of the log. When nearly every line
// of the probe carries one and they increase, the numbers are cut off before the formats look at
// the text (detection and parsing alike); the stored raw line keeps them.
import type { Probe, Unit } from '../formats/types.js';

const NUMBERED = /^\s*(\d{1,9})(?::|\t| +)(?=\S)/;
const MIN_LINES = 3;
const MIN_SHARE = 0.8;

/** True when the probe's lines are numbered (mostly increasing numbers at the start of each line). */
export function isLineNumbered(head: Buffer): boolean {
  const lines = head.toString('utf8').split('\n').slice(0, 200).map((l) => l.replace(/\r$/, '')).filter((l) => l.trim());
  if (lines.length < MIN_LINES) return false;
  let numbered = 0;
  let increasing = 0;
  let last = -1;
  for (const l of lines) {
    const m = NUMBERED.exec(l);
    if (!m) continue;
    numbered++;
    const n = Number(m[1]);
    if (n > last) increasing++;
    last = n;
  }
  return numbered / lines.length >= MIN_SHARE && increasing >= numbered * MIN_SHARE;
}

export function stripLineNumber(text: string): string {
  const m = NUMBERED.exec(text);
  return m ? text.slice(m[0].length) : text;
}

/** The probe as the formats should see it: every line without its number. */
export function unnumberedProbe(p: Probe): Probe {
  const text = p.head.toString('utf8').split('\n').map(stripLineNumber).join('\n');
  return { ...p, head: Buffer.from(text, 'utf8') };
}

/** The units with their numbers cut from the text; `raw` keeps the line as read. */
export async function* unnumberedBatches(batches: AsyncIterable<Unit[]>): AsyncGenerator<Unit[]> {
  for await (const batch of batches) {
    for (const u of batch) {
      const t = stripLineNumber(u.text);
      if (t !== u.text) {
        u.raw = u.text;
        u.text = t;
      }
    }
    yield batch;
  }
}
