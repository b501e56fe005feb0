// logrotate and savelog naming (logrotate.8, 3.22): `name`, `name.1`, `name.2.gz`,
// `name-20261121`, `name-2026112103` (hourly), `name-20261121-1795295510` (dateformat with %s),
// `name.0` (savelog, `start 0`). Compression suffixes are stripped first; the content is decoded
// by magic bytes, so the suffix is only a hint here.

const COMPRESSION_SUFFIX = /\.(gz|bz2|xz|zst|zstd|Z|lz4)$/;
const NUMERIC_SUFFIX = /^(.*)\.(\d{1,4})$/;
const DATE_SUFFIX = /^(.*)-(\d{4})(\d{2})(\d{2})(\d{2})?(?:-(\d{9,11}))?(?:\.(\d{1,4}))?$/;

export interface Rotation {
  /** Path of the live file this one was rotated from (the family). */
  family: string;
  /** Numeric suffix (1 = newest rotation), or null. */
  number: number | null;
  /** Date in a dateext name (the rotation day, at or after the last line). */
  nameDate: { y: number; m: number; d: number; h: number | null } | null;
  /** Epoch seconds in a `-%Y%m%d-%s` dateext name: the rotation instant. */
  nameEpoch: number | null;
  /** Basename without compression and rotation suffixes. */
  baseName: string;
}

export function stripCompressionSuffix(name: string): string {
  return name.replace(COMPRESSION_SUFFIX, '');
}

export function parseRotation(path: string): Rotation {
  const slash = path.lastIndexOf('/');
  const dir = slash >= 0 ? path.slice(0, slash + 1) : '';
  const name = stripCompressionSuffix(path.slice(slash + 1));
  const dm = DATE_SUFFIX.exec(name);
  if (dm) {
    const [y, m, d] = [Number(dm[2]), Number(dm[3]), Number(dm[4])];
    if (y >= 1990 && y <= 2100 && m >= 1 && m <= 12 && d >= 1 && d <= 31) {
      return {
        family: dir + dm[1],
        number: dm[7] ? Number(dm[7]) : null,
        nameDate: { y, m, d, h: dm[5] ? Number(dm[5]) : null },
        nameEpoch: dm[6] ? Number(dm[6]) : null,
        baseName: dm[1],
      };
    }
  }
  const nm = NUMERIC_SUFFIX.exec(name);
  if (nm) return { family: dir + nm[1], number: Number(nm[2]), nameDate: null, nameEpoch: null, baseName: nm[1] };
  return { family: dir + name, number: null, nameDate: null, nameEpoch: null, baseName: name };
}

/**
 * Orders paths oldest to newest within each family: dated names by date (and epoch), numbered
 * names by descending number, the live file last. Families keep a stable alphabetical order.
 * Returns rank 0 for the live file and higher ranks for older files.
 */
export function orderRotations(paths: string[]): Array<{ path: string; rotation: Rotation; rank: number }> {
  const byFamily = new Map<string, Array<{ path: string; rotation: Rotation }>>();
  for (const path of paths) {
    const rotation = parseRotation(path);
    const list = byFamily.get(rotation.family) ?? [];
    list.push({ path, rotation });
    byFamily.set(rotation.family, list);
  }
  const out: Array<{ path: string; rotation: Rotation; rank: number }> = [];
  for (const family of [...byFamily.keys()].sort()) {
    const list = byFamily.get(family)!;
    // Newest first, then assign ranks 0..n-1 and emit reversed (oldest first).
    list.sort((a, b) => newness(b.rotation) - newness(a.rotation) || a.path.localeCompare(b.path));
    const ranked = list.map((e, i) => ({ ...e, rank: i }));
    out.push(...ranked.reverse());
  }
  return out;
}

/** A sortable number: larger = newer. Live files are newest. */
function newness(r: Rotation): number {
  if (r.nameDate) {
    const { y, m, d, h } = r.nameDate;
    const base = r.nameEpoch ?? Date.UTC(y, m - 1, d, h ?? 0) / 1000;
    return 1e12 + base * 100 - (r.number ?? 0);
  }
  if (r.number !== null) return 1e9 - r.number;
  return 1e15; // live file
}
