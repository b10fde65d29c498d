// Scoring binary anomaly flags against NAB's labelled windows, following the NAB scoring rules
// (standard profile): in a window, only the earliest detection counts, worth more the earlier it comes
// (scaled sigmoid of its relative position); detections outside windows cost more the further they
// are from the last window; a missed window costs fnWeight; the first 15 % (at most 750 rows) is a
// probationary period that is not scored. Normalised per series to 0 (no detections) .. 100 (perfect).

export interface Profile {
  tpWeight: number;
  fpWeight: number;
  fnWeight: number;
}

export const STANDARD_PROFILE: Profile = { tpWeight: 1, fpWeight: 0.11, fnWeight: 1 };

export interface NabScore {
  /** Normalised score: 100 = every window caught at its start, 0 = no detection at all. */
  score: number;
  windows: number;
  detectedWindows: number;
  /** Flags outside every window (after probation). */
  falsePositives: number;
  /** Unnormalised score and its no-detection and perfect bounds, to normalise over a corpus as NAB does. */
  raw: number;
  nullScore: number;
  perfect: number;
}

/** NAB's corpus score: the sum of raw scores normalised by the summed bounds. */
export function corpusScore(scores: readonly NabScore[]): number {
  const sum = (f: (s: NabScore) => number): number => scores.reduce((a, s) => a + f(s), 0);
  const low = sum((s) => s.nullScore);
  return (100 * (sum((s) => s.raw) - low)) / (sum((s) => s.perfect) - low);
}

export function scaledSigmoid(position: number): number {
  return position >= 3 ? -1 : 2 / (1 + Math.exp(5 * position)) - 1;
}

export function probationLength(rows: number): number {
  return Math.min(Math.floor(0.15 * rows), 0.15 * 5000);
}

/** `times` ascending (ms), `flags` aligned; `windows` as [start, end] ms, inclusive. */
export function nabScore(times: readonly number[], flags: readonly boolean[], windows: readonly [number, number][], profile: Profile = STANDARD_PROFILE): NabScore {
  const probation = probationLength(times.length);
  const maxTp = scaledSigmoid(-1);
  const spans = windows
    .map(([start, end]) => {
      let left = -1;
      let right = -1;
      times.forEach((t, i) => {
        if (t >= start && t <= end) {
          if (left < 0) left = i;
          right = i;
        }
      });
      return { left, right };
    })
    .filter((w) => w.left >= 0)
    .sort((a, b) => a.left - b.left);
  const scored = spans.filter((w) => w.right >= probation);
  const windowScores = new Map(scored.map((w) => [w, -profile.fnWeight]));
  let fpScore = 0;
  let falsePositives = 0;
  let previous: { left: number; right: number } | null = null;
  let next = 0;
  for (let i = 0; i < times.length; i++) {
    while (next < spans.length && spans[next].right < i) previous = spans[next++];
    const current = next < spans.length && spans[next].left <= i ? spans[next] : null;
    if (!flags[i] || i < probation) continue;
    if (current) {
      const width = current.right - current.left + 1;
      const weighted = (scaledSigmoid(-(current.right - i + 1) / width) * profile.tpWeight) / maxTp;
      const best = windowScores.get(current) ?? -profile.fnWeight;
      windowScores.set(current, Math.max(best, weighted));
    } else {
      const position = previous === null ? 3 : Math.abs(previous.right - i) / Math.max(previous.right - previous.left, 1);
      fpScore += scaledSigmoid(position) * profile.fpWeight;
      falsePositives++;
    }
  }
  const raw = [...windowScores.values()].reduce((a, b) => a + b, 0) + fpScore;
  const nullScore = -profile.fnWeight * scored.length;
  const perfect = profile.tpWeight * scored.length;
  return {
    score: scored.length > 0 ? (100 * (raw - nullScore)) / (perfect - nullScore) : NaN,
    windows: scored.length,
    detectedWindows: [...windowScores.values()].filter((s) => s > -profile.fnWeight).length,
    falsePositives,
    raw,
    nullScore,
    perfect,
  };
}
