// The runner's clock. Real time in production; for demos and replays a compressed clock, so a
// day-long trace played 600× faster is also forecast in its own time (time of day, day of week).
export interface Clock {
  now(): number;
  /** Wall milliseconds per clock millisecond (1 = real time). */
  readonly compress: number;
}

export const realClock: Clock = { now: () => Date.now(), compress: 1 };

export function compressedClock(origin: number, compress: number, wallStart = Date.now()): Clock {
  if (!(compress >= 1)) throw new Error(`clock compression must be ≥ 1, got ${compress}`);
  return { now: () => origin + (Date.now() - wallStart) * compress, compress };
}
