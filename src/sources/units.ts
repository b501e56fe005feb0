// Splits a decompressed byte stream into units: lines for text formats, fixed-size records for
// binary ones. Per-line work is kept small: one indexOf per line, one toString, no regex.
import { isUtf8 } from 'node:buffer';
import type { Unit } from '../formats/types.js';

/** Lines longer than this are cut (the rest is consumed and counted, not stored). */
export const MAX_LINE_BYTES = 64 * 1024;

export interface LineNotes {
  /** Warnings about a unit that the pipeline turns into warning rows. */
  onNote(unit: Unit, message: string): void;
}

function decode(bytes: Buffer): { text: string; notes: string[] } {
  let text = bytes.toString('utf8');
  const notes: string[] = [];
  if (text.includes('\uFFFD') && !isUtf8(bytes)) notes.push('invalid UTF-8 (replaced with U+FFFD)');
  if (text.includes('\0')) {
    const before = text.length;
    text = text.replaceAll('\0', '');
    notes.push(`${before - text.length} NUL bytes removed`);
  }
  return { text, notes };
}

/**
 * Yields lines. A final line without a newline is still a unit (a torn write keeps its data) and is
 * noted, as are invalid UTF-8, NUL bytes and cut lines.
 */
export async function* splitLines(
  chunks: AsyncIterable<Buffer>,
  notes: LineNotes,
  startIndex = 0,
  startOffset = 0,
): AsyncGenerator<Unit> {
  for await (const batch of splitLineBatches(chunks, notes, startIndex, startOffset)) yield* batch;
}

/**
 * The lines of each decoded chunk at once (one await per chunk, not per line: a busy log has
 * millions). `notes.onNote` is called for a unit before its batch is yielded.
 */
export async function* splitLineBatches(
  chunks: AsyncIterable<Buffer>,
  notes: LineNotes,
  startIndex = 0,
  startOffset = 0,
): AsyncGenerator<Unit[]> {
  let index = startIndex;
  let offset = startOffset; // offset of the first byte of `pending`
  let pending: Buffer[] = [];
  let pendingLen = 0;
  let overflow = 0; // bytes dropped from the current over-long line

  const make = (bytes: Buffer, truncated: boolean, lineOffset: number): Unit => {
    index++;
    const { text, notes: n } = decode(bytes);
    const unit: Unit = { index, offset: lineOffset, bytes, text, truncated };
    for (const m of n) notes.onNote(unit, m);
    return unit;
  };

  for await (const chunk of chunks) {
    let pos = 0;
    const batch: Unit[] = [];
    while (pos < chunk.length) {
      const nl = chunk.indexOf(10, pos);
      const end = nl === -1 ? chunk.length : nl;
      const piece = chunk.subarray(pos, end);
      if (pendingLen < MAX_LINE_BYTES) {
        const room = MAX_LINE_BYTES - pendingLen;
        if (piece.length > room) {
          pending.push(piece.subarray(0, room));
          pendingLen += room;
          overflow += piece.length - room;
        } else {
          pending.push(piece);
          pendingLen += piece.length;
        }
      } else {
        overflow += piece.length;
      }
      if (nl === -1) {
        // Keep a copy: the chunk buffer may be reused by the decoder.
        if (pending.length) pending[pending.length - 1] = Buffer.from(pending[pending.length - 1]);
        break;
      }
      const bytes = pending.length === 1 ? pending[0] : Buffer.concat(pending, pendingLen);
      let text = bytes;
      if (text.length && text[text.length - 1] === 13) text = text.subarray(0, text.length - 1); // CRLF
      const unit = make(text, overflow > 0, offset);
      if (overflow > 0) notes.onNote(unit, `line of ${pendingLen + overflow} bytes cut to ${MAX_LINE_BYTES}`);
      batch.push(unit);
      offset += pendingLen + overflow + 1;
      pending = [];
      pendingLen = 0;
      overflow = 0;
      pos = nl + 1;
    }
    if (batch.length) yield batch;
  }
  if (pendingLen > 0 || overflow > 0) {
    const bytes = Buffer.concat(pending, pendingLen);
    const unit = make(bytes, overflow > 0, offset);
    notes.onNote(unit, 'last line has no terminating newline (torn write?); it is kept as a line');
    yield [unit];
  }
}

/**
 * The whole fixed-size records of each chunk at once. A torn tail (fewer bytes than a record) is
 * not a unit: it is reported through `onTail` so the pipeline can warn, and every whole record
 * before it is kept.
 */
export async function* splitRecordBatches(
  chunks: AsyncIterable<Buffer>,
  recordSize: number,
  onTail: (offset: number, bytes: number) => void,
  startIndex = 0,
  startOffset = 0,
): AsyncGenerator<Unit[]> {
  let index = startIndex;
  let offset = startOffset;
  let carry: Buffer = Buffer.alloc(0);
  for await (const chunk of chunks) {
    let buf = carry.length ? Buffer.concat([carry, chunk]) : chunk;
    let pos = 0;
    const batch: Unit[] = [];
    while (buf.length - pos >= recordSize) {
      index++;
      batch.push({ index, offset, bytes: Buffer.from(buf.subarray(pos, pos + recordSize)), text: '', truncated: false });
      pos += recordSize;
      offset += recordSize;
    }
    if (batch.length) yield batch;
    carry = Buffer.from(buf.subarray(pos));
    buf = carry;
  }
  if (carry.length) onTail(offset, carry.length);
}

/** Batches of one unit from a per-unit iterator (formats that read the file themselves). */
export async function* oneByOne(units: AsyncIterable<Unit>): AsyncGenerator<Unit[]> {
  for await (const u of units) yield [u];
}
