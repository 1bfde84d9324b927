// Goal: the flash store keeps what it acknowledged through a power cut at any byte, spreads wear
// and reports a flipped bit instead of delivering it, and the memory flash keeps NOR rules —
// identically in the WASM release build, the WASM checked build and the Espruino JS build.
// Method: the scenarios of test/harness/store_scenarios.ts and flash_scenarios.ts (the ones
// test/assembly/log_store.spec.ts and flash.spec.ts run under as-pect) are called through each
// build's harness with the specs' expectations; the power cut comes after every programmed byte
// (4,185 cut points; 4,461 with long flows) in every build, JS included — no sampling, the JS
// build takes about a second per workload — and each scenario must leave the same flash bytes
// in all three builds.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { loadBuilds } from "./support/builds.mjs";

const builds = loadBuilds();

/** Problem names by code, read from the source of truth. */
const PROBLEM_NAMES = new Map();
const scenarios = readFileSync(new URL("./harness/store_scenarios.ts", import.meta.url), "utf8");
for (const match of scenarios.matchAll(/export const (PROBLEM_\w+): i32 = (\d+);/g)) PROBLEM_NAMES.set(Number(match[2]), match[1]);

function problemText(build, code) {
  const message = build.exports.storeProblemMessage();
  return `${PROBLEM_NAMES.get(code) ?? `problem ${code}`}${message >= 0 ? ` (message ${message})` : ""}`;
}

/**
 * The power-cut workloads (WORKLOAD_* in store_scenarios.ts). With long flows, compactions move
 * live records, so cuts land among a compaction's copies: a torn copy seals the sector being
 * copied into, and recovery must discard it and replay (it once answered STORE_FULL at 319 of
 * 4,461 cut points, every build).
 */
const WORKLOADS = [
  { flows: 0, name: "short flows" },
  { flows: 1, name: "long flows: compactions move live records" },
];
const FLASH_SCENARIOS = ["flashScenarioProgram", "flashScenarioAlignment", "flashScenarioTornWrite", "flashScenarioTornErase", "crcScenarioCheckValue"];

for (const build of builds) {
  const x = build.exports;

  test(`${build.name}: the memory flash keeps NOR rules and cuts power where told; CRC-32 gives the check value`, () => {
    for (const name of FLASH_SCENARIOS) {
      const failed = x[name]();
      assert.ok(x.flashChecksCount() > 0, `${name} ran no checks`);
      assert.equal(failed, 0, `${name}: check ${failed} of ${x.flashChecksCount()} failed`);
    }
  });

  test(`${build.name}: LogStore recovers appended records, their states and their order from the flash alone`, () => {
    const problem = x.storeScenarioRecover();
    assert.equal(problem, 0, problemText(build, problem));
    assert.equal(x.storeRecoverStatus(), 0);
    assert.equal(x.storeRecoveredCount(), x.storeWrittenCount());
    assert.equal(x.storeCorruptRecords(), 0);
  });

  for (const { flows, name, todo } of WORKLOADS) {
    test(`${build.name}: LogStore survives a power cut after every programmed byte (${name})`, { todo }, () => {
      const total = x.storeScenarioProbe(flows);
      assert.ok(total > x.storeFlashSize(), `the workload programs ${total} bytes: the ring must wrap`);
      const heapTop = build.heapTop();
      const problems = [];
      let failures = 0;
      for (let cut = 0; cut <= total; cut++) {
        const problem = x.storeScenarioCut(flows, cut);
        if (problem === 0) continue;
        failures++;
        if (problems.length < 5) problems.push(`cut after byte ${cut}: ${problemText(build, problem)}`);
      }
      assert.equal(failures, 0, `${failures} of ${total + 1} cut points failed, first:\n  ${problems.join("\n  ")}`);
      // The stub runtime never frees: a scenario that allocated per cut would run out of memory.
      assert.equal(build.heapTop(), heapTop, "the power-cut scenario allocated");
    });
  }

  test(`${build.name}: LogStore spreads erases evenly over the sectors`, () => {
    assert.ok(x.storeScenarioWear() <= 1, "erase counts differ by more than one"); // rotation: every sector in turn
    assert.ok(x.storeEraseCountMin() > 10, `fewest erases ${x.storeEraseCountMin()}`);
  });

  test(`${build.name}: LogStore reports a flipped bit in a committed record instead of delivering it`, () => {
    assert.equal(x.storeScenarioFlip(), 1, "corrupt records reported");
    assert.equal(x.storeRecoverStatus(), 0);
    assert.equal(x.storeRecoveredCount(), 0, "records delivered");
  });
}

test("every build leaves the same flash image after each store scenario", () => {
  const images = builds.map((build) => {
    const x = build.exports;
    const image = {};
    x.storeScenarioRecover();
    image.recover = x.storeFlashCrc();
    image.probe = WORKLOADS.map(({ flows }) => [x.storeScenarioProbe(flows), x.storeFlashCrc()]);
    image.cut = WORKLOADS.map(({ flows }) => [x.storeScenarioCut(flows, 1234), x.storeFlashCrc()]);
    x.storeScenarioWear();
    image.wear = x.storeFlashCrc();
    x.storeScenarioFlip();
    image.flip = x.storeFlashCrc();
    return image;
  });
  for (let i = 1; i < builds.length; i++) assert.deepEqual(images[i], images[0], `${builds[i].name} vs ${builds[0].name}`);
});
