// Finds the evidence files under the given paths. Never modifies anything, never follows a
// symlinked directory twice (loops), and lists what it cannot read instead of dropping it.
// A copied /var/log holds absolute symlinks (`journal -> /run/log/journal`): followed, they would
// read the analyst's own machine into the case. A symlink whose target resolves outside the paths
// the user gave is listed as `outside-evidence` with its target and never read; one that stays
// inside is read once, under the first path that reaches it.
import fs from 'node:fs';
import path from 'node:path';

export interface FoundFile {
  path: string;
  kind: 'file' | 'not-regular' | 'unreadable' | 'outside-evidence' | 'dangling-symlink';
  size: number;
  mtime_ms: number;
  /** Bytes actually allocated on disk (st_blocks * 512), to spot sparse files. */
  allocated: number;
  note: string | null;
  /** sha256 of the stored bytes, when they were hashed on the way past (an entry of a compressed tar). */
  sha256?: string;
  /** A command output of a support bundle: when no format claims it, listed without a warning. */
  optional?: boolean;
  /** Its place in an archive that can only be read from its start (a compressed tar): read in that order. */
  archive_seq?: number;
  /** The archive ends inside this entry: what of it is there is read, and it is damaged. */
  cut?: string;
  /** When the support bundle holding it was collected (its `date --utc`), epoch ms. */
  collected_ms?: number;
}

export async function discover(inputs: string[]): Promise<FoundFile[]> {
  const out: FoundFile[] = [];
  const seenDirs = new Set<string>();
  const seenFiles = new Set<string>();
  const roots = await Promise.all(inputs.map((p) => realpathOr(path.resolve(p))));
  const inside = (real: string) => roots.some((r) => real === r || real.startsWith(r.endsWith(path.sep) ? r : r + path.sep));

  async function visit(p: string, isRoot: boolean): Promise<void> {
    const abs = path.resolve(p);
    if (!isRoot) {
      let lst: fs.Stats | null = null;
      try {
        lst = await fs.promises.lstat(abs);
      } catch {
        /* reported below */
      }
      if (lst?.isSymbolicLink()) {
        let real: string | null = null;
        try {
          real = await fs.promises.realpath(abs);
        } catch {
          /* dangling: reported below */
        }
        if (real === null) {
          // A copied tree keeps links to what was not copied (a sosreport's etc/localtime): normal,
          // listed with its target, not damage.
          const target = await fs.promises.readlink(abs).catch(() => '?');
          out.push({ path: abs, kind: 'dangling-symlink', size: 0, mtime_ms: lst.mtimeMs, allocated: 0, note: `symlink to ${target}, which is not in the evidence: nothing to read` });
          return;
        }
        if (!inside(real)) {
          const target = await fs.promises.readlink(abs).catch(() => real!);
          out.push({
            path: abs,
            kind: 'outside-evidence',
            size: 0,
            mtime_ms: lst.mtimeMs,
            allocated: 0,
            note: `symlink to ${target}${target !== real ? ` (${real})` : ''}, outside the evidence given: not read`,
          });
          return;
        }
      }
    }
    let st: fs.Stats;
    try {
      st = await fs.promises.stat(abs); // follows symlinks: a link to a log is evidence too
    } catch (err) {
      let lst: fs.Stats | null = null;
      try {
        lst = await fs.promises.lstat(abs);
      } catch {
        /* missing */
      }
      out.push({
        path: abs,
        kind: 'unreadable',
        size: 0,
        mtime_ms: 0,
        allocated: 0,
        note: lst?.isSymbolicLink() ? 'dangling or looping symlink' : `cannot stat: ${(err as NodeJS.ErrnoException).code ?? err}`,
      });
      return;
    }
    if (st.isDirectory()) {
      let real: string;
      try {
        real = await fs.promises.realpath(abs);
      } catch {
        real = abs;
      }
      if (seenDirs.has(real)) return;
      seenDirs.add(real);
      let entries: string[];
      try {
        entries = (await fs.promises.readdir(abs)).sort();
      } catch (err) {
        out.push({ path: abs, kind: 'unreadable', size: 0, mtime_ms: 0, allocated: 0, note: `cannot list directory: ${(err as NodeJS.ErrnoException).code}` });
        return;
      }
      for (const e of entries) await visit(path.join(abs, e), false);
      return;
    }
    if (!st.isFile()) {
      const what = st.isFIFO() ? 'FIFO' : st.isSocket() ? 'socket' : st.isCharacterDevice() || st.isBlockDevice() ? 'device' : 'special file';
      out.push({ path: abs, kind: 'not-regular', size: 0, mtime_ms: st.mtimeMs, allocated: 0, note: `${what}, not read` });
      return;
    }
    let real = abs;
    try {
      real = await fs.promises.realpath(abs);
    } catch {
      /* keep abs */
    }
    if (seenFiles.has(real)) return;
    seenFiles.add(real);
    try {
      await fs.promises.access(abs, fs.constants.R_OK);
    } catch {
      out.push({ path: abs, kind: 'unreadable', size: st.size, mtime_ms: st.mtimeMs, allocated: st.blocks * 512, note: 'permission denied' });
      return;
    }
    out.push({ path: abs, kind: 'file', size: st.size, mtime_ms: st.mtimeMs, allocated: st.blocks * 512, note: null });
  }

  for (const p of inputs) await visit(p, true);
  return out;
}

async function realpathOr(p: string): Promise<string> {
  try {
    return await fs.promises.realpath(p);
  } catch {
    return p;
  }
}
