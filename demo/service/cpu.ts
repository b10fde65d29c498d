// Simulated CPU cost: a busy loop that holds the event loop for the given time, like real
// request-bound computation would.
export function burnCpu(ms: number): void {
  if (!(ms > 0)) return;
  const end = process.hrtime.bigint() + BigInt(Math.round(ms * 1e6));
  let x = 0;
  while (process.hrtime.bigint() < end) {
    for (let i = 0; i < 1000; i++) x = (x * 1103515245 + 12345) % 2147483648;
  }
  sink = x;
}

/** Keeps the loop's result observable so the work is not optimised away. */
export let sink = 0;
