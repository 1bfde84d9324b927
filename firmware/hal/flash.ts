/**
 * Flash as the QoS store sees it (DESIGN.md §5): NOR-like sectors. `erase` sets every byte of a
 * sector to 0xFF; `program` can only clear bits (1 -> 0), in units of `writeSize` bytes at
 * addresses aligned to it; `read` reads anything. Geometry comes from the board profile.
 *
 * This class is the interface and holds the geometry; it stores nothing. Implementations:
 * MemoryFlash (flash_memory.ts: tests, with the NOR rules enforced, erase counting and power-cut
 * injection), a file on the Node and wasmtime hosts, and Espruino's Flash/Storage.
 *
 * Every call returns 0 or a negative ERR_FLASH_*: a store must treat a failed program as "not
 * durable" and never acknowledge what it was writing.
 */
import { ERR_FLASH_IO, ERR_FLASH_RANGE } from "../core/errors";

export class Flash {
  /** Bytes per erasable sector. */
  readonly sectorSize: i32;
  readonly sectorCount: i32;
  /** Program granularity: address and length of every `program` are multiples of it (1 = any byte). */
  readonly writeSize: i32;

  constructor(sectorSize: i32, sectorCount: i32, writeSize: i32) {
    this.sectorSize = sectorSize;
    this.sectorCount = sectorCount;
    this.writeSize = writeSize;
  }

  get size(): i32 {
    return this.sectorSize * this.sectorCount;
  }

  /** Sets sector `sector` to 0xFF. */
  erase(sector: i32): i32 {
    return ERR_FLASH_IO;
  }

  /** Clears bits at `address`: flash &= source[offset .. offset+length). */
  program(address: i32, source: Uint8Array, offset: i32, length: i32): i32 {
    return ERR_FLASH_IO;
  }

  /** Copies `length` bytes at `address` to `target[offset ..)`. */
  read(address: i32, target: Uint8Array, offset: i32, length: i32): i32 {
    return ERR_FLASH_IO;
  }

  /** 0 when [address, address+length) is on the device and aligned for `program`; else ERR_FLASH_RANGE. */
  checkRange(address: i32, length: i32, aligned: bool): i32 {
    if (address < 0 || length < 0 || address > this.size - length) return ERR_FLASH_RANGE;
    if (aligned && (address % this.writeSize != 0 || length % this.writeSize != 0)) return ERR_FLASH_RANGE;
    return 0;
  }
}
