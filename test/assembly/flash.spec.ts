// Goal: the memory flash keeps NOR flash's rules and cuts power where it is told to, so store
// tests built on it meet the real thing's pitfalls; CRC-32 matches the standard check value.
// Method: the scenarios of test/harness/flash_scenarios.ts (which test/store_builds.test.mjs also
// runs through the WASM and the JS harness); each answers 0, or the number of its first failed check.
import {
  crcScenarioCheckValue, flashScenarioAlignment, flashScenarioProgram, flashScenarioTornErase, flashScenarioTornWrite,
} from "../harness/flash_scenarios";

describe("MemoryFlash (NOR rules)", () => {
  it("starts erased, programs 1 -> 0 only, and erases back to 0xFF, counting erases", () => {
    expect(flashScenarioProgram()).toBe(0, "first failed check");
  });

  it("refuses unaligned or out-of-range writes, and a second write to a write-once unit", () => {
    expect(flashScenarioAlignment()).toBe(0, "first failed check");
  });

  it("a power cut tears the write that crosses the budget, then refuses everything until power is back", () => {
    expect(flashScenarioTornWrite()).toBe(0, "first failed check");
  });

  it("a cut during an erase leaves the sector half erased", () => {
    expect(flashScenarioTornErase()).toBe(0, "first failed check");
  });
});

describe("CRC-32", () => {
  it("gives the standard check value for \"123456789\" and runs in pieces", () => {
    expect(crcScenarioCheckValue()).toBe(0, "first failed check");
  });
});
