// Everything printed to a terminal passes through here: a log line can hold escape sequences
// (ESC [ 2J, OSC 52 clipboard writes) and must never reach the terminal as control codes, nor
// reorder or hide what the analyst reads (bidi overrides and isolates, zero-width characters:
// the "Trojan Source" controls, CVE-2021-42574), so those are shown as escapes too.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb]/g;

export function safeText(s: string | null | undefined): string {
  if (s === null || s === undefined) return '';
  return s.replace(CONTROL, (c) => {
    const code = c.charCodeAt(0);
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/**
 * For what must stay one line or one field (a table row, a path, a message): newlines, carriage
 * returns and tabs from the evidence (an archive entry may be named "a\nb") are escaped too.
 */
export function safeLine(s: string | null | undefined): string {
  return safeText(s).replace(/[\t\n\r]/g, (c) => (c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r'));
}

export function out(line: string): void {
  process.stdout.write(line + '\n');
}

export function err(line: string): void {
  process.stderr.write(line + '\n');
}

export function humanBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}
