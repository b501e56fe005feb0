// Linux signal numbers and names, as used by kill(2), audit `a1=`/`sig=`, pacct AXSIG, systemd
// `status=9/KILL` and kernel "killed by signal" lines.
//
// Numbers 1–31 are the x86/arm/aarch64/generic-ABI values (include/uapi/asm-generic/signal.h and
// arch/x86/include/uapi/asm/signal.h; identical on those arches). MIPS, Alpha, SPARC and PA-RISC use
// other numbers for some signals (e.g. MIPS SIGUSR1=16); their logs are out of scope here.
// Real-time signals: the kernel defines SIGRTMIN=32, but glibc reserves 32 and 33 for NPTL, so
// user-visible SIGRTMIN is 34. Names for 34..64 follow `kill -l` (SIGRTMIN, SIGRTMIN+1..+15,
// SIGRTMAX-14..-1, SIGRTMAX); 32 and 33 have no user-visible name, so they are 'SIG32'/'SIG33'.

/** Classic signals 1–31 (x86, arm, aarch64, asm-generic). */
const CLASSIC: Readonly<Record<number, string>> = {
  1: 'SIGHUP',
  2: 'SIGINT',
  3: 'SIGQUIT',
  4: 'SIGILL',
  5: 'SIGTRAP',
  6: 'SIGABRT',
  7: 'SIGBUS',
  8: 'SIGFPE',
  9: 'SIGKILL',
  10: 'SIGUSR1',
  11: 'SIGSEGV',
  12: 'SIGUSR2',
  13: 'SIGPIPE',
  14: 'SIGALRM',
  15: 'SIGTERM',
  16: 'SIGSTKFLT',
  17: 'SIGCHLD',
  18: 'SIGCONT',
  19: 'SIGSTOP',
  20: 'SIGTSTP',
  21: 'SIGTTIN',
  22: 'SIGTTOU',
  23: 'SIGURG',
  24: 'SIGXCPU',
  25: 'SIGXFSZ',
  26: 'SIGVTALRM',
  27: 'SIGPROF',
  28: 'SIGWINCH',
  29: 'SIGIO',
  30: 'SIGPWR',
  31: 'SIGSYS',
};

/** User-visible real-time range (glibc): 34..64. */
export const SIGRTMIN = 34;
export const SIGRTMAX = 64;

function buildSignals(): Readonly<Record<number, string>> {
  const t: Record<number, string> = { ...CLASSIC, 32: 'SIG32', 33: 'SIG33' };
  for (let n = SIGRTMIN; n <= SIGRTMAX; n++) {
    // `kill -l` (bash/util-linux) style: SIGRTMIN, SIGRTMIN+1 … SIGRTMIN+15, SIGRTMAX-14 … SIGRTMAX.
    if (n === SIGRTMIN) t[n] = 'SIGRTMIN';
    else if (n === SIGRTMAX) t[n] = 'SIGRTMAX';
    else if (n - SIGRTMIN <= 15) t[n] = `SIGRTMIN+${n - SIGRTMIN}`;
    else t[n] = `SIGRTMAX-${SIGRTMAX - n}`;
  }
  return Object.freeze(t);
}

/** Signal number → canonical name ('SIGKILL'). 1–31, 32/33 (glibc-internal), 34–64 real-time. */
export const SIGNALS: Readonly<Record<number, string>> = buildSignals();

/** Other names people and tools write for the same numbers (no `SIG` prefix stored here). */
const ALIASES: Readonly<Record<string, number>> = {
  IOT: 6, // SIGIOT == SIGABRT
  POLL: 29, // SIGPOLL == SIGIO
  CLD: 17, // SIGCLD == SIGCHLD (System V spelling)
  UNUSED: 31, // old name of SIGSYS on some arches
};

const BY_NAME: ReadonlyMap<string, number> = (() => {
  const m = new Map<string, number>();
  for (const [n, name] of Object.entries(SIGNALS)) m.set(name.slice(3), Number(n));
  for (const [name, n] of Object.entries(ALIASES)) if (!m.has(name)) m.set(name, n);
  return m;
})();

/** 9 → 'SIGKILL'; null for numbers outside 1..64. */
export function signalName(n: number): string | null {
  return Number.isInteger(n) ? (SIGNALS[n] ?? null) : null;
}

/**
 * 'SIGKILL', 'KILL', 'kill', 'sigterm', '9', 'SIGRTMIN+3', 'RTMAX-1' → number; null if unknown.
 * systemd writes bare names ('status=9/KILL'), kill(1) accepts both, audit interprets with 'SIG'.
 */
export function signalNumber(name: string): number | null {
  let s = name.trim().toUpperCase();
  if (/^\d+$/.test(s)) {
    const n = Number(s);
    return n >= 1 && n <= SIGRTMAX ? n : null;
  }
  if (s.startsWith('SIG')) s = s.slice(3);
  const direct = BY_NAME.get(s);
  if (direct !== undefined) return direct;
  const rt = /^RT(MIN|MAX)(?:([+-])(\d+))?$/.exec(s);
  if (rt) {
    const base = rt[1] === 'MIN' ? SIGRTMIN : SIGRTMAX;
    const delta = rt[3] ? Number(rt[3]) * (rt[2] === '-' ? -1 : 1) : 0;
    const n = base + delta;
    return n >= SIGRTMIN && n <= SIGRTMAX ? n : null;
  }
  return null;
}
