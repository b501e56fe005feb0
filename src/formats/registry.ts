// Every format module, listed explicitly. A test fails if a module in src/formats/ is missing
// here, and registering a name twice throws at load time.
import type { FormatModule } from './types.js';
import { syslog, syslogTraditional, journalctlShort, thunderbird } from './syslog.js';
import { dmesg, kmsg } from './dmesg.js';
import { kernelText } from './kernel-text.js';
import { audit } from './audit.js';
import { utmp } from './utmp.js';
import { lastlog } from './lastlog.js';
import { pacct } from './pacct.js';
import { wtmpdb } from './wtmpdb.js';
import { journalExport } from './journal-export.js';
import { journalJson } from './journal-json.js';
import { journalBinary } from './journal-binary.js';
import { sudoLog } from './sudo-log.js';
import { shellHistory } from './shell-history.js';
import { psSnapshot } from './ps-snapshot.js';
import { supportconfig, setSupportconfigInnerFormats } from './supportconfig.js';

const MODULES: FormatModule[] = [syslog, syslogTraditional, journalctlShort, thunderbird, dmesg, kmsg, kernelText, audit, utmp, lastlog, pacct, wtmpdb, journalExport, journalJson, journalBinary, sudoLog, shellHistory, psSnapshot, supportconfig];

function register(list: FormatModule[]): readonly FormatModule[] {
  const seen = new Set<string>();
  for (const m of list) {
    if (seen.has(m.name)) throw new Error(`format ${m.name} registered twice`);
    seen.add(m.name);
  }
  return Object.freeze([...list]);
}

export const FORMATS: readonly FormatModule[] = register(MODULES);
// A supportconfig file's log sections are read by the other formats.
setSupportconfigInnerFormats(FORMATS);

export function formatByName(name: string): FormatModule | undefined {
  return FORMATS.find((f) => f.name === name);
}
