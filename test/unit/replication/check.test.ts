// The consistency verdict and the unavailability measure of the Jepsen-style runs.
import test from "ava";
import { longestGap, verdict } from "../../../bench/consistency/check";

test("lost, duplicates and phantoms; indeterminate writes are neither", (t) => {
  const attempted = new Set(["a", "b", "c", "d"]);
  // a, b acknowledged; c failed (indeterminate) yet present; d failed and absent; z never sent.
  const v = verdict(["a", "b"], attempted, ["a", "a", "c", "z"]);
  t.deepEqual(v, { acknowledged: 2, lost: 1, duplicates: 1, phantoms: 1, lostKeys: ["b"], phantomKeys: ["z"] });
});

test("the longest stretch without an acknowledgement, edges included", (t) => {
  t.is(longestGap([100, 150, 900, 950], 120, 1000), 750);
  t.is(longestGap([], 0, 500), 500);
  t.is(longestGap([10, 20], 0, 400), 380);
});
