/**
 * The memory flash's NOR rules and CRC-32, as scenarios both builds run: the as-pect spec
 * (test/assembly/flash.spec.ts) calls them under asc, test/store_builds.test.mjs through the
 * WASM and the JS harness. Each scenario returns 0 when every check held, else the number
 * (from 1, in source order) of the first check that failed.
 */
import { MemoryFlash } from "../../firmware/hal/flash_memory";
import { ERR_FLASH_BITS, ERR_FLASH_POWER, ERR_FLASH_RANGE } from "../../firmware/core/errors";
import { CRC32_START, crc32, crc32Final, crc32Update } from "../../firmware/core/crc32";

/** Numbers the checks of one scenario and keeps the first that failed. */
class Checks {
  count: i32 = 0;
  failed: i32 = 0;

  reset(): void {
    this.count = 0;
    this.failed = 0;
  }

  that(condition: bool): void {
    this.count++;
    if (!condition && this.failed == 0) this.failed = this.count;
  }
}

const checks: Checks = new Checks();
const scratch: Uint8Array = new Uint8Array(256);
const out: Uint8Array = new Uint8Array(256);

/** `scratch` holding `values` (a few bytes), for a program call. */
function bytesOf(values: i32[]): Uint8Array {
  for (let i = 0; i < values.length; i++) scratch[i] = values[i];
  return scratch;
}

/** Checks the last scenario ran; a scenario that stopped early would pass with fewer. */
export function flashChecksCount(): i32 {
  return checks.count;
}

/** Starts erased, programs 1 -> 0 only, and erases back to 0xFF, counting erases. */
export function flashScenarioProgram(): i32 {
  checks.reset();
  const flash = new MemoryFlash(256, 4, 1, false);
  checks.that(flash.read(0, out, 0, 4) == 0);
  let value: i32 = out[0];
  checks.that(value == 0xff);
  checks.that(flash.program(10, bytesOf([0xf0, 0x0f]), 0, 2) == 0);
  checks.that(flash.program(10, bytesOf([0x30, 0x0f]), 0, 2) == 0); // clearing more bits is fine
  checks.that(flash.program(10, bytesOf([0x38, 0x0f]), 0, 2) == ERR_FLASH_BITS); // 0 -> 1 is not
  flash.read(10, out, 0, 2);
  value = out[0];
  checks.that(value == 0x30);
  checks.that(flash.erase(0) == 0);
  flash.read(10, out, 0, 1);
  value = out[0];
  checks.that(value == 0xff);
  checks.that(flash.eraseCounts[0] == 1);
  checks.that(flash.eraseCounts[1] == 0);
  return checks.failed;
}

/** Refuses unaligned or out-of-range writes, and a second write to a write-once unit. */
export function flashScenarioAlignment(): i32 {
  checks.reset();
  const flash = new MemoryFlash(256, 2, 8, true);
  const eight = bytesOf([0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
  checks.that(flash.program(4, eight, 0, 8) == ERR_FLASH_RANGE);
  checks.that(flash.program(0, eight, 0, 4) == ERR_FLASH_RANGE);
  checks.that(flash.program(512, eight, 0, 8) == ERR_FLASH_RANGE);
  checks.that(flash.program(8, eight, 0, 8) == 0);
  checks.that(flash.program(8, eight, 0, 8) == ERR_FLASH_BITS); // ECC flash: once per erase
  checks.that(flash.erase(0) == 0);
  checks.that(flash.program(8, eight, 0, 8) == 0);
  return checks.failed;
}

/** A power cut tears the write that crosses the budget, then refuses everything until power is back. */
export function flashScenarioTornWrite(): i32 {
  checks.reset();
  const flash = new MemoryFlash(256, 2, 1, false);
  flash.cutAfter(3);
  checks.that(flash.program(0, bytesOf([1, 2]), 0, 2) == 0);
  checks.that(flash.program(2, bytesOf([3, 4, 5]), 0, 3) == ERR_FLASH_POWER);
  checks.that(flash.read(0, out, 0, 1) == ERR_FLASH_POWER);
  flash.powerOn();
  flash.read(0, out, 0, 5);
  let value: i32 = out[2];
  checks.that(value == 3); // the third byte made it
  value = out[3];
  checks.that(value == 0xff); // the fourth did not
  checks.that(flash.programmedBytes == 3);
  return checks.failed;
}

/** A cut during an erase leaves the sector half erased. */
export function flashScenarioTornErase(): i32 {
  checks.reset();
  const flash = new MemoryFlash(256, 2, 1, false);
  scratch.fill(0);
  checks.that(flash.program(256, scratch, 0, 256) == 0);
  flash.cutAfter(0);
  checks.that(flash.erase(1) == ERR_FLASH_POWER);
  flash.powerOn();
  flash.read(256, out, 0, 256);
  let value: i32 = out[0];
  checks.that(value == 0xff);
  value = out[255];
  checks.that(value == 0);
  checks.that(flash.eraseCounts[1] == 0);
  return checks.failed;
}

/** CRC-32 gives the standard check value for "123456789" and runs in pieces. */
export function crcScenarioCheckValue(): i32 {
  checks.reset();
  const text = bytesOf([0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39]);
  checks.that(crc32(text, 0, 9) == -873187034); // 0xCBF43926
  const running = crc32Update(crc32Update(CRC32_START, text, 0, 4), text, 4, 5);
  checks.that(crc32Final(running) == crc32(text, 0, 9));
  checks.that(crc32(text, 0, 0) == 0);
  return checks.failed;
}
