// Deterministic pseudo-random numbers for the bench tree: sfc32 seeded through splitmix32, one
// independent stream per (seed, stream name) so each generated file depends only on the seed and
// the options, never on the order the files are written in.

function hashName(name) {
  let h = 2166136261;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619);
  return h >>> 0;
}

export function makeRng(seed, stream) {
  let s = (Math.imul(seed >>> 0, 0x9e3779b1) ^ hashName(String(stream))) >>> 0;
  const split = () => {
    s = (s + 0x9e3779b9) | 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = split();
  let b = split();
  let c = split();
  let d = split();
  const u32 = () => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
  for (let i = 0; i < 16; i++) u32();
  const f = () => u32() / 4294967296;
  return {
    u32,
    f,
    /** Integer in [lo, hi). */
    int: (lo, hi) => lo + Math.floor(f() * (hi - lo)),
    pick: (arr) => arr[Math.floor(f() * arr.length)],
    chance: (p) => f() < p,
    /** n lower-case hex digits. */
    hex(n) {
      let out = '';
      while (out.length < n) out += u32().toString(16).padStart(8, '0');
      return out.slice(0, n);
    },
    /** Exponential-ish positive value with the given mean. */
    exp: (mean) => -Math.log(1 - f()) * mean,
    shuffle(arr) {
      for (let i = arr.length - 1; i > 0; i--) {
        const j = Math.floor(f() * (i + 1));
        [arr[i], arr[j]] = [arr[j], arr[i]];
      }
      return arr;
    },
  };
}

/** A picker over [value, weight] pairs: cumulative table, binary search. */
export function weighted(pairs) {
  const values = pairs.map((p) => p[0]);
  const cum = [];
  let total = 0;
  for (const [, w] of pairs) cum.push((total += w));
  return (r) => {
    const x = r.f() * total;
    let lo = 0;
    let hi = cum.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cum[mid] > x) hi = mid;
      else lo = mid + 1;
    }
    return values[lo];
  };
}
