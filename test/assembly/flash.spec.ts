// Goal: the memory flash keeps NOR flash's rules and cuts power where it is told to, so store
// tests built on it meet the real thing's pitfalls; CRC-32 matches the standard check value.
import { MemoryFlash } from "../../firmware/hal/flash_memory";
import { ERR_FLASH_BITS, ERR_FLASH_POWER, ERR_FLASH_RANGE } from "../../firmware/core/errors";
import { crc32, crc32Final, crc32Update, CRC32_START } from "../../firmware/core/crc32";
import { bytes } from "./support";

describe("MemoryFlash (NOR rules)", () => {
  it("starts erased, programs 1 -> 0 only, and erases back to 0xFF, counting erases", () => {
    const flash = new MemoryFlash(256, 4, 1, false);
    const out = new Uint8Array(4);
    expect(flash.read(0, out, 0, 4)).toBe(0);
    expect<i32>(out[0]).toBe(0xff);
    expect(flash.program(10, bytes([0xf0, 0x0f]), 0, 2)).toBe(0);
    expect(flash.program(10, bytes([0x30, 0x0f]), 0, 2)).toBe(0); // clearing more bits is fine
    expect(flash.program(10, bytes([0x38, 0x0f]), 0, 2)).toBe(ERR_FLASH_BITS); // 0 -> 1 is not
    flash.read(10, out, 0, 2);
    expect<i32>(out[0]).toBe(0x30);
    expect(flash.erase(0)).toBe(0);
    flash.read(10, out, 0, 1);
    expect<i32>(out[0]).toBe(0xff);
    expect(flash.eraseCounts[0]).toBe(1);
    expect(flash.eraseCounts[1]).toBe(0);
  });

  it("refuses unaligned or out-of-range writes, and a second write to a write-once unit", () => {
    const flash = new MemoryFlash(256, 2, 8, true);
    const eight = bytes([0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    expect(flash.program(4, eight, 0, 8)).toBe(ERR_FLASH_RANGE);
    expect(flash.program(0, eight, 0, 4)).toBe(ERR_FLASH_RANGE);
    expect(flash.program(512, eight, 0, 8)).toBe(ERR_FLASH_RANGE);
    expect(flash.program(8, eight, 0, 8)).toBe(0);
    expect(flash.program(8, eight, 0, 8)).toBe(ERR_FLASH_BITS); // ECC flash: once per erase
    expect(flash.erase(0)).toBe(0);
    expect(flash.program(8, eight, 0, 8)).toBe(0);
  });

  it("a power cut tears the write that crosses the budget, then refuses everything until power is back", () => {
    const flash = new MemoryFlash(256, 2, 1, false);
    flash.cutAfter(3);
    expect(flash.program(0, bytes([1, 2]), 0, 2)).toBe(0);
    expect(flash.program(2, bytes([3, 4, 5]), 0, 3)).toBe(ERR_FLASH_POWER);
    expect(flash.read(0, new Uint8Array(1), 0, 1)).toBe(ERR_FLASH_POWER);
    flash.powerOn();
    const out = new Uint8Array(5);
    flash.read(0, out, 0, 5);
    expect<i32>(out[2]).toBe(3); // the third byte made it
    expect<i32>(out[3]).toBe(0xff); // the fourth did not
    expect(flash.programmedBytes).toBe(3);
  });

  it("a cut during an erase leaves the sector half erased", () => {
    const flash = new MemoryFlash(256, 2, 1, false);
    const zeros = new Uint8Array(256);
    expect(flash.program(256, zeros, 0, 256)).toBe(0);
    flash.cutAfter(0);
    expect(flash.erase(1)).toBe(ERR_FLASH_POWER);
    flash.powerOn();
    const out = new Uint8Array(256);
    flash.read(256, out, 0, 256);
    expect<i32>(out[0]).toBe(0xff);
    expect<i32>(out[255]).toBe(0);
    expect(flash.eraseCounts[1]).toBe(0);
  });
});

describe("CRC-32", () => {
  it("gives the standard check value for \"123456789\" and runs in pieces", () => {
    const text = bytes([0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39]);
    expect(crc32(text, 0, 9)).toBe(-873187034); // 0xCBF43926
    const running = crc32Update(crc32Update(CRC32_START, text, 0, 4), text, 4, 5);
    expect(crc32Final(running)).toBe(crc32(text, 0, 9));
    expect(crc32(text, 0, 0)).toBe(0);
  });
});
