// systemd journal as JSON lines (`journalctl -o json`), formats.md §8.2:
//
//   {"__CURSOR":"s=2991…;i=559a;b=9c7f…","__REALTIME_TIMESTAMP":"1702617286494756","_SOURCE_MONOTONIC_TIMESTAMP":"28701903","MESSAGE":"NET: Registered PF_PACKET protocol family","_TRANSPORT":"kernel","PRIORITY":"6","_HOSTNAME":"huggy","SYSLOG_IDENTIFIER":"kernel","_BOOT_ID":"9c7f833031f94777aedd645a8789e450"}
//
// One object per line. Every value is a string (timestamps too); a value with control or
// non-UTF-8 bytes is an array of byte numbers; a repeated field is an array of values; a field
// over 4096 bytes is null unless journalctl ran with --all. Same fields as the export format, so
// the entry → event logic is shared with journal-export.ts.
import type { FormatModule, ParseOutput, Unit, UnitParser } from './types.js';
import { emitJournalEntry, type JournalFields } from './journal-export.js';

function isByteArray(v: unknown[]): v is number[] {
  return v.length > 0 && v.every((x) => typeof x === 'number' && Number.isInteger(x) && x >= 0 && x < 256);
}

/** JSON values → field values; `problems` notes fields journalctl elided. */
export function jsonFields(obj: Record<string, unknown>, problems: string[]): JournalFields {
  const f: JournalFields = new Map();
  for (const [k, v] of Object.entries(obj)) {
    if (typeof v === 'string') f.set(k, [v]);
    else if (typeof v === 'number') f.set(k, [String(v)]);
    else if (v === null) {
      if (k === 'MESSAGE') {
        f.set(k, ['']);
        problems.push('MESSAGE is null (over 4096 bytes; export with journalctl --all to keep it)');
      }
    } else if (Array.isArray(v)) {
      if (isByteArray(v)) f.set(k, [Buffer.from(v).toString('utf8')]);
      else {
        const vals: string[] = [];
        for (const x of v) {
          if (typeof x === 'string') vals.push(x);
          else if (Array.isArray(x) && isByteArray(x)) vals.push(Buffer.from(x).toString('utf8'));
        }
        if (vals.length) f.set(k, vals);
      }
    }
  }
  return f;
}

class JournalJsonParser implements UnitParser {
  parse(unit: Unit, out: ParseOutput): void {
    const text = unit.text.trim();
    if (!text) {
      out.skip('empty line', true);
      return;
    }
    let obj: unknown = null;
    if (text.charCodeAt(0) === 123 /* { */) {
      try {
        obj = JSON.parse(text);
      } catch {
        obj = null;
      }
    }
    if (!obj || typeof obj !== 'object' || Array.isArray(obj)) {
      out.event({ ts_utc_ms: null, ts_quality: 'unknown', host: null, program: null, pid: null, message: unit.text });
      out.warn(unit.truncated ? 'JSON entry cut (line too long); stored without a time' : 'not a JSON object; stored without a time');
      return;
    }
    const problems: string[] = [];
    emitJournalEntry(jsonFields(obj as Record<string, unknown>, problems), out, problems);
    for (const p of problems) out.warn(p);
  }
}

export const journalJson: FormatModule = {
  name: 'journal-json',
  description: 'systemd journal as JSON lines (journalctl -o json)',
  unit: 'line',
  order: 0,
  detect(probe) {
    const first = probe.head.toString('utf8', 0, Math.min(probe.head.length, 8192)).split('\n', 1)[0];
    if (first.startsWith('{') && (first.includes('"__REALTIME_TIMESTAMP"') || first.includes('"__CURSOR"'))) return 90;
    return 0;
  },
  createParser: () => new JournalJsonParser(),
  samples: [
    {
      input:
        '{"__CURSOR":"s=29912846da1c4d1d8d50dd155c553bdc;i=559a;b=9c7f833031f94777aedd645a8789e450;m=1b5e5ab;t=60c857a8cca24;x=64f5dadd7826705a","__REALTIME_TIMESTAMP":"1702617286494756","__MONOTONIC_TIMESTAMP":"28698027","_SOURCE_MONOTONIC_TIMESTAMP":"28701903","MESSAGE":"NET: Registered PF_PACKET protocol family","_TRANSPORT":"kernel","PRIORITY":"6","_HOSTNAME":"huggy","SYSLOG_IDENTIFIER":"kernel","_MACHINE_ID":"f4e4621cbd954e73a519d0ca3e0d82c3","_RUNTIME_SCOPE":"system","SYSLOG_FACILITY":"0","_BOOT_ID":"9c7f833031f94777aedd645a8789e450"}',
      note: 'real kernel entry (openSUSE 15 sample): printk time gives a boot anchor',
      event: {
        ts_utc_ms: 1702617286494,
        ts_quality: 'exact',
        host: 'huggy',
        program: 'kernel',
        severity: 6,
        uptime_s: 28.701903,
        boot_key: '9c7f833031f94777aedd645a8789e450',
        message: 'NET: Registered PF_PACKET protocol family',
      },
      facts: [
        {
          table: 'boot_anchors',
          row: { boot_key: '9c7f833031f94777aedd645a8789e450', uptime_s: 28.701903, ts_utc_ms: 1702617286494, kind: 'journal-kernel' },
        },
      ],
    },
    {
      input:
        '{"__REALTIME_TIMESTAMP":"1694203364000000","_HOSTNAME":"priceless-mayer","SYSLOG_IDENTIFIER":"systemd","_PID":"1","UNIT":"mariadb.service","MESSAGE":"mariadb.service: Main process exited, code=killed, status=9/KILL","_BOOT_ID":"0f1e"}',
      note: 'made from the §6.7 sequence',
      event: { ts_utc_ms: 1694203364000, program: 'systemd', pid: 1 },
      facts: [
        { table: 'services', row: { unit: 'mariadb.service', action: 'main_exited', code: 'killed', signal: 9 } },
        { table: 'process_ends', row: { kind: 'unit_killed', unit: 'mariadb.service', signal: 9 } },
      ],
    },
  ],
};
