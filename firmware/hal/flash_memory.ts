/**
 * Flash in RAM that keeps NOR flash's rules, so the store is tested against the real thing's
 * pitfalls rather than a forgiving array:
 * - `program` only clears bits; asking for a 0 -> 1 is ERR_FLASH_BITS and changes nothing;
 * - address and length must be aligned to `writeSize` (ERR_FLASH_RANGE);
 * - with `writeOnce` (flash with ECC, e.g. STM32 double-words), a unit may be programmed once
 *   per erase, even with the same bits;
 * - erases are counted per sector, for the wear test.
 *
 * Power cuts: `cutAfter(n)` lets exactly `n` more bytes be programmed. The program that crosses
 * the budget writes its first bytes and stops (a torn write); an erase after the budget is spent
 * leaves the sector half erased (its first half 0xFF, the rest as it was). After a cut every call
 * returns ERR_FLASH_POWER until `powerOn()`, as a rebooted device would find its flash.
 */
import { ERR_FLASH_BITS, ERR_FLASH_POWER, ERR_FLASH_RANGE } from "../core/errors";
import { Flash } from "./flash";

export class MemoryFlash extends Flash {
  readonly data: Uint8Array;
  readonly eraseCounts: Int32Array;
  readonly writeOnce: bool;
  /** Per write unit: programmed since its sector's last erase (only kept with `writeOnce`). */
  private readonly programmed: Uint8Array;
  /** Bytes programmed since start; what `cutAfter` counts. */
  programmedBytes: i32 = 0;
  /** Bytes still allowed before the power goes; -1 = no cut planned. */
  private budget: i32 = -1;
  powered: bool = true;

  constructor(sectorSize: i32, sectorCount: i32, writeSize: i32, writeOnce: bool) {
    super(sectorSize, sectorCount, writeSize);
    const data = new Uint8Array(sectorSize * sectorCount);
    data.fill(0xff);
    this.data = data;
    this.eraseCounts = new Int32Array(sectorCount);
    this.writeOnce = writeOnce;
    this.programmed = new Uint8Array(writeOnce ? ((sectorSize * sectorCount) / writeSize) | 0 : 0);
  }

  /** The power goes after `bytes` more programmed bytes (or at the next erase once they are spent). */
  cutAfter(bytes: i32): void {
    this.budget = bytes;
  }

  /** Power back: the flash keeps whatever the cut left. */
  powerOn(): void {
    this.powered = true;
    this.budget = -1;
  }

  erase(sector: i32): i32 {
    if (!this.powered) return ERR_FLASH_POWER;
    if (sector < 0 || sector >= this.sectorCount) return ERR_FLASH_RANGE;
    const base = sector * this.sectorSize;
    if (this.budget == 0) {
      this.data.fill(0xff, base, base + ((this.sectorSize / 2) | 0)); // cut mid-erase
      this.powered = false;
      return ERR_FLASH_POWER;
    }
    this.data.fill(0xff, base, base + this.sectorSize);
    if (this.writeOnce) {
      const units = (this.sectorSize / this.writeSize) | 0;
      this.programmed.fill(0, sector * units, (sector + 1) * units);
    }
    this.eraseCounts[sector]++;
    return 0;
  }

  program(address: i32, source: Uint8Array, offset: i32, length: i32): i32 {
    if (!this.powered) return ERR_FLASH_POWER;
    const range = this.checkRange(address, length, true);
    if (range != 0) return range;
    const data = this.data;
    for (let i = 0; i < length; i++) {
      const old: i32 = data[address + i];
      const value: i32 = source[offset + i];
      if ((old & value) != value) return ERR_FLASH_BITS; // a 0 -> 1: only an erase can do that
    }
    if (this.writeOnce) {
      const first = (address / this.writeSize) | 0;
      const units = (length / this.writeSize) | 0;
      for (let u = 0; u < units; u++) if (this.programmed[first + u] != 0) return ERR_FLASH_BITS;
      for (let u = 0; u < units; u++) this.programmed[first + u] = 1;
    }
    let allowed = length;
    if (this.budget >= 0 && this.budget < length) allowed = this.budget;
    for (let i = 0; i < allowed; i++) {
      const value: i32 = source[offset + i];
      data[address + i] = data[address + i] & value;
    }
    this.programmedBytes += allowed;
    if (this.budget >= 0) {
      this.budget -= allowed;
      if (allowed < length) {
        this.powered = false;
        return ERR_FLASH_POWER;
      }
    }
    return 0;
  }

  read(address: i32, target: Uint8Array, offset: i32, length: i32): i32 {
    if (!this.powered) return ERR_FLASH_POWER;
    const range = this.checkRange(address, length, false);
    if (range != 0) return range;
    bytesCopy(target, offset, this.data, address, length);
    return 0;
  }
}
