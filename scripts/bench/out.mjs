// Streamed output files for the bench tree: text is gathered into ~1 MiB chunks and written to a
// file stream, through zlib.createGzip (level 1) for the compressed rotations; a full stream makes
// the caller await 'drain', so a 1.6 GB tree never sits in memory.
import fs from 'node:fs';
import zlib from 'node:zlib';
import { once } from 'node:events';

export const CHUNK = 1 << 20;

export class TextOut {
  constructor(file, { gzip = false } = {}) {
    this.file = file;
    this.gzip = gzip;
    this.fileStream = fs.createWriteStream(file);
    this.sink = gzip ? zlib.createGzip({ level: 1 }) : this.fileStream;
    if (gzip) this.sink.pipe(this.fileStream);
    this.buf = '';
    /** Uncompressed bytes and lines written (the text is ASCII: one byte per char). */
    this.bytes = 0;
    this.lines = 0;
  }

  /** Appends one line (without its newline). Returns true when the buffer wants a flush. */
  line(s) {
    this.buf += s;
    this.buf += '\n';
    this.bytes += s.length + 1;
    this.lines++;
    return this.buf.length >= CHUNK;
  }

  /** Writes the buffer; resolves when the stream can take more. */
  async flush() {
    if (!this.buf.length) return;
    const chunk = Buffer.from(this.buf, 'latin1');
    this.buf = '';
    if (!this.sink.write(chunk)) await once(this.sink, 'drain');
  }

  async close() {
    await this.flush();
    const closed = once(this.fileStream, 'close');
    this.sink.end();
    await closed;
  }
}

/** Binary records, gathered the same way. */
export class BinOut {
  constructor(file) {
    this.file = file;
    this.stream = fs.createWriteStream(file);
    this.parts = [];
    this.size = 0;
    this.bytes = 0;
    this.records = 0;
  }

  async record(buf) {
    this.parts.push(buf);
    this.size += buf.length;
    this.bytes += buf.length;
    this.records++;
    if (this.size >= CHUNK) await this.flush();
  }

  async flush() {
    if (!this.parts.length) return;
    const chunk = Buffer.concat(this.parts);
    this.parts = [];
    this.size = 0;
    if (!this.stream.write(chunk)) await once(this.stream, 'drain');
  }

  async close() {
    await this.flush();
    const closed = once(this.stream, 'close');
    this.stream.end();
    await closed;
  }
}
