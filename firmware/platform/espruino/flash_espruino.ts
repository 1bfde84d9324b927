/**
 * The QoS store's Flash (hal/flash.ts) over Espruino's built-in `Flash` module, on ESP32, ESP8266
 * and STM32 boards. The store's sector `s` is the `sectorSize / pageSize` physical pages from
 * `base + s * sectorSize`; the board profile (boards/*.json "flash") says where `base` is.
 *
 * Espruino 2v29, read in its source (src/jswrap_flash.c, src/jshardware_common.c,
 * targets/{esp32,esp8266,stm32,linux}/jshardware.c) and run on its Linux build:
 * - `Flash.write` ANDs: a 0 -> 1 is silently not done, and nothing is returned or thrown when a
 *   write fails (ESP8266 only prints to its debug UART). So `program` reads first and refuses a
 *   0 -> 1 (ERR_FLASH_BITS, nothing written, as MemoryFlash does), and reads back afterwards: a
 *   write that did not land is ERR_FLASH_IO, never a silent loss.
 * - Since 2v05 `Flash.write` takes any address and length, merging a partial 4-byte unit
 *   (8 on STM32L4) with what flash holds; before 2v05 it threw "Data and address must be
 *   multiples of 4". `writeSize` keeps every write whole and aligned, so both work.
 * - `Flash.erasePage(addr)` erases the whole page containing `addr`, and throws unless `addr`
 *   is an integer. Pages: 4 KB on ESP32 and ESP8266; 16, 64 or 128 KB sectors on STM32F4;
 *   1 KB on the Linux build. A page larger than the store's sector would erase its neighbours,
 *   so `espruinoFlashPageSize` refuses such an area.
 * - Out of range is not an exception: the Linux build and STM32F4's erase hit an assertion (the
 *   interpreter stops), ESP8266 truncates the write. Every address is checked here first.
 * - `Flash.read(length, addr)` returns a new Uint8Array each call (a transient allocation,
 *   Espruino's, not the store's) and `undefined` for length 0 or when memory runs out.
 * - `Flash.getFree()` lists areas no firmware uses, but may include Storage's (the ESP32's
 *   0x360000; on the Linux build all of it), and a store there is lost: at power-on, Storage
 *   holding no file but not erased is "corrupt" and the whole area is erased
 *   (src/jsinteractive.c; measured on the Linux build). Nothing a script can ask says where
 *   Storage is on every board, so the board profile picks an area outside it.
 * - On STM32 boards getFree() may list flash beyond the rated size (the Pico's 0x08060000)
 *   that getPage() does not know and erasePage() asserts on: refused here by getPage().
 *
 * Platform code: only esbuild compiles it, so `any` and try/catch are allowed here.
 */
import { ERR_FLASH_BITS, ERR_FLASH_IO, ERR_FLASH_RANGE } from "../../core/errors";
import { Flash } from "../../hal/flash";

export class EspruinoFlash extends Flash {
  /** The `Flash` module: `require("Flash")` on a device. */
  readonly module: any;
  /** Flash address of sector 0. */
  readonly base: i32;
  readonly pageSize: i32;

  constructor(module: any, base: i32, pageSize: i32, sectorSize: i32, sectorCount: i32, writeSize: i32) {
    super(sectorSize, sectorCount, writeSize);
    this.module = module;
    this.base = base;
    this.pageSize = pageSize;
  }

  /** Erases the sector's pages, first page (the sector header) first, and checks each starts erased. */
  erase(sector: i32): i32 {
    if (sector < 0 || sector >= this.sectorCount) return ERR_FLASH_RANGE;
    const start = this.base + sector * this.sectorSize;
    for (let page = start; page < start + this.sectorSize; page += this.pageSize) {
      try {
        this.module.erasePage(page | 0);
        const word = this.module.read(4, page | 0);
        if (word == null || (word[0] & word[1] & word[2] & word[3]) != 0xff) return ERR_FLASH_IO;
      } catch (error) {
        return ERR_FLASH_IO;
      }
    }
    return 0;
  }

  program(address: i32, source: Uint8Array, offset: i32, length: i32): i32 {
    const range = this.checkRange(address, length, true);
    if (range != 0 || length == 0) return range;
    const at = (this.base + address) | 0;
    const window = offset == 0 && length == source.length ? source : source.subarray(offset, offset + length);
    try {
      const before = this.module.read(length, at);
      if (before == null) return ERR_FLASH_IO;
      for (let i = 0; i < length; i++) if ((before[i] & window[i]) != window[i]) return ERR_FLASH_BITS; // 0 -> 1 needs an erase
      this.module.write(window, at);
      const after = this.module.read(length, at);
      if (after == null) return ERR_FLASH_IO;
      for (let i = 0; i < length; i++) if (after[i] != window[i]) return ERR_FLASH_IO;
    } catch (error) {
      return ERR_FLASH_IO;
    }
    return 0;
  }

  read(address: i32, target: Uint8Array, offset: i32, length: i32): i32 {
    const range = this.checkRange(address, length, false);
    if (range != 0 || length == 0) return range;
    try {
      const data = this.module.read(length, (this.base + address) | 0);
      if (data == null || data.length != length) return ERR_FLASH_IO;
      target.set(data, offset);
    } catch (error) {
      return ERR_FLASH_IO;
    }
    return 0;
  }
}

/**
 * Checks that `size` bytes at `base` are flash Espruino lets us erase and that `sectorSize`
 * holds whole pages: the area lies inside one `Flash.getFree()` area and is made of pages of one
 * size, starting at `base`, no larger than a sector, which they divide. Returns that page size,
 * or ERR_FLASH_RANGE.
 */
export function espruinoFlashPageSize(module: any, base: i32, size: i32, sectorSize: i32): i32 {
  const areas = module.getFree();
  let inside = false;
  for (let i = 0; i < areas.length; i++) {
    if (areas[i].addr <= base && base + size <= areas[i].addr + areas[i].length) inside = true;
  }
  if (!inside || size <= 0) return ERR_FLASH_RANGE;
  const first = module.getPage(base);
  if (first == null || first.addr != base) return ERR_FLASH_RANGE;
  const pageSize: i32 = first.length;
  if (pageSize <= 0 || pageSize > sectorSize || sectorSize % pageSize != 0) return ERR_FLASH_RANGE;
  for (let address = base; address < base + size; address += pageSize) {
    const page = module.getPage(address);
    if (page == null || page.addr != address || page.length != pageSize) return ERR_FLASH_RANGE;
  }
  return pageSize;
}
