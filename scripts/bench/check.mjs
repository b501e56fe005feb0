// Buried incidents against `procforensics incidents --json`: found when an incident has the buried
// pid and one of the accepted causes.

export function checkBuried(buried, incidents) {
  const byPid = new Map();
  for (const i of incidents) {
    if (!byPid.has(i.pid)) byPid.set(i.pid, []);
    byPid.get(i.pid).push(i);
  }
  return buried.map((b) => {
    const same = byPid.get(b.pid) ?? [];
    const match = same.find((i) => b.accept.includes(i.cause)) ?? null;
    return {
      pid: b.pid,
      comm: b.comm,
      kind: b.kind,
      expected: b.cause,
      accept: b.accept,
      time: b.time,
      found: !!match,
      actor_expected: b.actor ?? null,
      actor_got: match ? (match.actor?.user ?? null) : null,
      got: (match ? [match] : same).map((i) => ({ cause: i.cause, comm: i.comm, time: i.time, signal: i.signal, confidence: i.confidence, actor: i.actor?.user ?? i.actor?.kind ?? null })),
    };
  });
}
