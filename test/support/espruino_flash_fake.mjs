// A stand-in for Espruino's built-in `Flash` module (require("Flash")), for tests under Node:
// no Espruino board runs in CI. It keeps the real module's rules and pitfalls, each read in the
// Espruino 2v29 source (github.com/espruino/Espruino, tag RELEASE_2V29) and, where the Linux
// build can show it, run there (test/espruino_flash.test.mjs compares this fake with a real
// `espruino` binary when one is found):
//
// - write(data, addr) ANDs into flash: a 0 -> 1 is silently not done, and nothing says so
//   (jswrap_flash.c docs: "you may only turn bits that are 1 into bits that are 0";
//   targets/linux/jshardware.c jshFlashWrite does `wbuf[i] &= buf[i]`; SPI NOR and STM32F4 do
//   the same, RM0090 §3.5.4). A write never returns or throws an error (jshFlashWrite is void;
//   ESP8266 only os_printf()s a failure).
// - Any address and length are accepted since 2v05: jshFlashWriteAligned (jshardware_common.c)
//   reads the partial 4-byte unit, merges the new bytes and writes the whole unit, which for
//   NOR is an AND of the new bytes alone. Counted in `unalignedWrites`, as the store should
//   never need it (before 2v05 it threw "Data and address must be multiples of 4").
// - `data` may be a string (char codes), a typed array (its own window: a subarray writes
//   only its bytes) or an array; undefined throws "Data is not defined" (jswrap_flash_write).
// - erasePage(addr) sets the whole page containing addr to 0xFF; a non-integer addr throws
//   "Address should be an integer, got <type>" (jswrap_flash_erasePage, jsvIsInt).
// - read(length, addr) returns a new Uint8Array each call, undefined when length <= 0
//   (jswrap_flash_read).
// - getFree() returns fresh [{addr, length}] and getPage(addr) {addr, length} or undefined,
//   per chip (the jshFlashGetFree / jshFlashGetPage of each target, below).
// - At power-on Espruino checks Storage and, when it holds no file (its first 32-byte file
//   header is all 0xFF) but its area is not all erased, prints "Storage is corrupt" and erases
//   the whole area (src/jsinteractive.c, first boot: jsfIsStorageValid, jsfResetStorage;
//   src/jsflash.c jsfIsBankStorageValid). So a store inside Storage's area is wiped at the next
//   power-on, though getFree() may list it; measured on the Linux build. `powerOn()` does that
//   check (the fake knows no Storage files, so it judges only the empty case).
// - Out of range is not an exception on a device: the Linux build and STM32F4's erase hit
//   assert() and the interpreter stops; ESP8266 and ESP32 drop the operation. Here every such
//   call is recorded in `faults` (and "stops" throw), so a test can require there were none.

/** Per chip: the flash the fake holds, its pages and getFree() areas, and what out-of-range does. */
export const CHIPS = {
  // targets/esp8266/jshardware.c: FLASH_PAGE 4 KB; jshFlashMax() = espFlashKB * 1024 (4 MB);
  // getFree() for system_get_flash_size_map() == 6, the 1024+1024 KB map that FLASH_4MB builds
  // use (make/family/ESP8266.make ESP_FLASH_SIZE 6). Beyond jshFlashMax writes are dropped.
  // Storage: boards/ESP8266_4MB.py saved_code 0x0CB000, 48 pages.
  esp8266: { start: 0, size: 4 << 20, page: () => 4096, outOfRange: "dropped", eraseOutOfRange: "dropped", storage: [0xcb000, 48 * 4096],
    free: [[0x200000, 0x100000], [0x300000, 0x40000], [0x340000, 0x40000], [0x380000, 0x40000], [0x3c0000, 0x40000 - 0x5000]] },
  // targets/esp32/jshardware.c: FLASH_PAGE 4 KB, FLASH_MAX 4 MB; getFree() lists the partition
  // table's subtype-0x40 areas (targets/esp32/IDF4/partitions.csv) and 0x360000, which is inside
  // the Storage partition (0x320000, 896 KB).
  esp32: { start: 0, size: 4 << 20, page: () => 4096, outOfRange: "dropped", eraseOutOfRange: "dropped", storage: [0x320000, 224 * 4096],
    free: [[0xe000, 0x2000], [0x310000, 0x10000], [0x360000, 0xa0000]] },
  // targets/stm32/jshardware.c for STM32F4: sectors of 16, 16, 16, 16, 64, 128, 128 KB up to
  // FLASH_TOTAL (384 KB on the Pico, boards/PICO_R1_3.py; stm32f4xx.h defines no FLASH_END);
  // getFree() on PICO adds 0x08060000 (128 KB), which getPage() then does not know, and
  // jshFlashErasePage asserts on it. The die has the bytes, so reads and writes go through.
  // Storage: saved_code 0x08004000, 3 pages of 16 KB.
  "stm32-pico": { start: 0x08000000, size: 512 << 10, outOfRange: "stops", eraseOutOfRange: "stops", storage: [0x08004000, 3 * 16384], free: [[0x08060000, 128 << 10]],
    page: (offset) => (offset < 64 << 10 ? 16 << 10 : offset < 128 << 10 ? 64 << 10 : offset < 384 << 10 ? 128 << 10 : 0),
    pageStart: (offset) => (offset < 64 << 10 ? offset & ~0x3fff : offset < 128 << 10 ? 64 << 10 : offset & ~0x1ffff) },
  // targets/linux/jshardware.c and boards/LINUX.py: a 256 KB file at FLASH_START 0x10000000,
  // 1 KB pages, getFree() the whole of it (Storage's too); a read or write out of range
  // asserts, an erase out of range does nothing.
  linux: { start: 0x10000000, size: 256 << 10, page: () => 1024, outOfRange: "stops", eraseOutOfRange: "dropped", storage: [0x10000000, 256 << 10], free: [[0x10000000, 256 << 10]] },
};

export class FakeEspruinoFlash {
  /** `bytes`: the flash to use (a reboot keeps the same bytes); fresh flash is erased. */
  constructor(chipName, bytes = null) {
    const chip = CHIPS[chipName];
    if (!chip) throw new Error(`no chip ${chipName}`);
    this.chip = chip;
    this.chipName = chipName;
    this.storageErased = false;
    this.bytes = bytes ?? new Uint8Array(chip.size).fill(0xff);
    this.faults = [];
    this.unalignedWrites = 0;
    this.writes = 0;
    this.erases = 0;
    /** Lowest and highest address written or erased, to check a store stayed in its area. */
    this.touched = [Infinity, -Infinity];
  }

  /**
   * The device restarts: the same flash bytes, after Espruino's first-boot Storage check.
   * Returns the flash the next boot sees; `storageErased` says whether the check wiped Storage.
   */
  powerOn() {
    const next = new FakeEspruinoFlash(this.chipName, this.bytes);
    const [addr, length] = this.chip.storage;
    const area = this.bytes.subarray(addr - this.chip.start, addr - this.chip.start + length);
    const noFile = area.subarray(0, 32).every((b) => b === 0xff);
    next.storageErased = noFile && !area.every((b) => b === 0xff);
    if (next.storageErased) area.fill(0xff);
    return next;
  }

  fault(message, stops) {
    this.faults.push(message);
    if (stops) throw new Error(`Espruino stops here (assert): ${message}`);
  }

  getFree() {
    return this.chip.free.map(([addr, length]) => ({ addr, length }));
  }

  getPage(addr) {
    const offset = addr - this.chip.start;
    const length = offset >= 0 && offset < this.chip.size ? this.chip.page(offset) : 0;
    if (!length) return undefined;
    const pageStart = this.chip.pageStart ? this.chip.pageStart(offset) : offset - (offset % length);
    return { addr: this.chip.start + pageStart, length };
  }

  erasePage(addr) {
    if (!Number.isInteger(addr)) throw new Error(`Address should be an integer, got ${typeName(addr)}`);
    const page = this.getPage(addr);
    if (!page) return this.fault(`erasePage(0x${addr.toString(16)}): no such page`, this.chip.eraseOutOfRange === "stops");
    this.erases++;
    this.touch(page.addr, page.length);
    this.bytes.fill(0xff, page.addr - this.chip.start, page.addr - this.chip.start + page.length);
  }

  write(data, addr) {
    if (data === undefined) throw new Error("Data is not defined");
    const source = typeof data === "string" ? Uint8Array.from(data, (c) => c.charCodeAt(0) & 0xff) : Uint8Array.from(data);
    if (source.length === 0) return;
    const offset = addr - this.chip.start;
    if (offset < 0 || offset + source.length > this.bytes.length) {
      return this.fault(`write(${source.length} B, 0x${addr.toString(16)}): out of range`, this.chip.outOfRange === "stops");
    }
    if (addr % 4 !== 0 || source.length % 4 !== 0) this.unalignedWrites++;
    this.writes++;
    this.touch(addr, source.length);
    for (let i = 0; i < source.length; i++) this.bytes[offset + i] &= source[i];
  }

  read(length, addr) {
    if (!(length > 0)) return undefined;
    const offset = addr - this.chip.start;
    if (offset < 0 || offset + length > this.bytes.length) {
      this.fault(`read(${length}, 0x${addr.toString(16)}): out of range`, this.chip.outOfRange === "stops");
      return new Uint8Array(length);
    }
    return this.bytes.slice(offset, offset + length);
  }

  touch(addr, length) {
    this.touched[0] = Math.min(this.touched[0], addr);
    this.touched[1] = Math.max(this.touched[1], addr + length);
  }
}

/** Espruino's %t: the type name in "Address should be an integer, got Number". */
function typeName(value) {
  if (typeof value === "number") return "Number";
  if (typeof value === "string") return "String";
  return typeof value;
}
