// Goal: the flash log keeps what it acknowledged through a power cut at any byte, spreads wear,
// and reports corruption instead of delivering it.
// Method: the scenarios of test/harness/store_scenarios.ts, which test/store_builds.test.mjs also
// runs through the WASM and the JS harness: a QoS-like workload (messages appended, marked sent,
// released, removed; QoS 2 receipts added and removed) runs on the NOR-faithful MemoryFlash, once
// to count the bytes it programs, then again with the power cut after byte N for every N; a
// rebooted LogStore recovers from what the cut left, a model of the acknowledged operations
// checks it, and it must carry on through two turns of the ring and a second reboot.
import {
  PROBLEM_NONE, WORKLOAD_LONG_FLOWS, WORKLOAD_SHORT_FLOWS, storeCorruptRecords, storeEraseCountMin, storeFlashSize, storeProblemMessage, storeRecoverStatus,
  storeRecoveredCount, storeScenarioCut, storeScenarioFlip, storeScenarioProbe, storeScenarioRecover, storeScenarioWear,
  storeWrittenCount,
} from "../harness/store_scenarios";

describe("LogStore", () => {
  it("recovers appended records, their states and their order from the flash alone", () => {
    expect(storeScenarioRecover()).toBe(PROBLEM_NONE, "problem (PROBLEM_* in store_scenarios.ts)");
    expect(storeRecoverStatus()).toBe(0);
    expect(storeRecoveredCount()).toBe(storeWrittenCount());
    expect(storeCorruptRecords()).toBe(0);
  });

  it("survives a power cut after every programmed byte", () => {
    powerCutEveryByte(WORKLOAD_SHORT_FLOWS);
  });

  it("survives a power cut after every programmed byte with long flows (cuts among a compaction's copies)", () => {
    powerCutEveryByte(WORKLOAD_LONG_FLOWS);
  });

  it("spreads erases evenly over the sectors", () => {
    expect(storeScenarioWear()).toBeLessThanOrEqual(1); // rotation: every sector in turn
    expect(storeEraseCountMin()).toBeGreaterThan(10);
  });

  it("reports a flipped bit in a committed record instead of delivering it", () => {
    expect(storeScenarioFlip()).toBe(1);
    expect(storeRecoverStatus()).toBe(0);
    expect(storeRecoveredCount()).toBe(0);
  });
});

function powerCutEveryByte(workload: i32): void {
  const total = storeScenarioProbe(workload);
  expect(total).toBeGreaterThan(storeFlashSize()); // the ring wrapped: cuts land in compactions
  let failures: i32 = 0;
  let firstCut: i32 = -1;
  let firstProblem: i32 = PROBLEM_NONE;
  let firstMessage: i32 = -1;
  for (let cut = 0; cut <= total; cut++) {
    const problem = storeScenarioCut(workload, cut);
    if (problem == PROBLEM_NONE) continue;
    failures++;
    if (firstCut < 0) {
      firstCut = cut;
      firstProblem = problem;
      firstMessage = storeProblemMessage();
    }
  }
  expect(firstCut).toBe(-1, "first cut with a problem");
  expect(firstProblem).toBe(PROBLEM_NONE, "its problem (PROBLEM_* in store_scenarios.ts)");
  expect(firstMessage).toBe(-1, "the message it is about");
  expect(failures).toBe(0);
}
