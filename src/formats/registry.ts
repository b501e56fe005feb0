// Every format module, listed explicitly. A test fails if a module in src/formats/ is missing
// here, and registering a name twice throws at load time.
import type { FormatModule } from './types.js';
import { syslog } from './syslog.js';

const MODULES: FormatModule[] = [syslog];

function register(list: FormatModule[]): readonly FormatModule[] {
  const seen = new Set<string>();
  for (const m of list) {
    if (seen.has(m.name)) throw new Error(`format ${m.name} registered twice`);
    seen.add(m.name);
  }
  return Object.freeze([...list]);
}

export const FORMATS: readonly FormatModule[] = register(MODULES);

export function formatByName(name: string): FormatModule | undefined {
  return FORMATS.find((f) => f.name === name);
}
