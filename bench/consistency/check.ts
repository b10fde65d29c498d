// The consistency verdict after a failover, pure: what clients were told versus what the new
// primary holds. Every acknowledged write must be there (lost), once (duplicates), and nothing may be
// there that no client ever sent (phantoms). Writes that failed or timed out are indeterminate:
// present or absent, both are correct.
export interface Verdict {
  acknowledged: number;
  lost: number;
  duplicates: number;
  phantoms: number;
  lostKeys: string[];
  phantomKeys: string[];
}

export function verdict(acked: Iterable<string>, attempted: ReadonlySet<string>, rows: string[]): Verdict {
  const counts = new Map<string, number>();
  for (const k of rows) counts.set(k, (counts.get(k) ?? 0) + 1);
  const ackedList = [...acked];
  const lostKeys = ackedList.filter((k) => !counts.has(k));
  const phantomKeys = [...counts.keys()].filter((k) => !attempted.has(k));
  const duplicates = [...counts.values()].reduce((n, c) => n + (c > 1 ? c - 1 : 0), 0);
  return { acknowledged: ackedList.length, lost: lostKeys.length, duplicates, phantoms: phantomKeys.length, lostKeys: lostKeys.slice(0, 20), phantomKeys: phantomKeys.slice(0, 20) };
}

/** The longest stretch without an acknowledgement from `from` to `to` (ack times in ms, any order). */
export function longestGap(ackTimes: number[], from: number, to: number): number {
  const inside = ackTimes.filter((t) => t > from && t <= to).sort((a, b) => a - b);
  let prev = from;
  let gap = 0;
  for (const t of inside) {
    gap = Math.max(gap, t - prev);
    prev = t;
  }
  return Math.max(gap, to - prev);
}
