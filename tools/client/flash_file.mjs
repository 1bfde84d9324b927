// Flash in a file, for the WASM client and gateway on a host: the `flashErase`, `flashProgram`
// and `flashRead` imports of firmware/platform/wasm/flash_host.ts. It keeps NOR flash's rules as
// the memory flash does (a program may only clear bits; erase sets a sector to 0xFF), so what
// runs here runs on a device. The file's bytes are mirrored in memory, so reads cost no system
// call.
//
// Durability, two ways:
// - `sync: "each"` (the client's default): every program and erase is fdatasync'ed before it
//   returns, so the store's "durable on return" holds literally.
// - `sync: "barrier"` (the gateway): programs change the image and are written to the file
//   together by `sync()` (one write per touched sector, one fdatasync), which the host calls
//   before it sends anything on a socket — so nothing that acknowledges a message leaves before
//   the writes that made it durable (group commit). An erase, the one write that destroys data,
//   first syncs everything before it, so a power cut (or kill -9) can lose only writes no
//   acknowledgement has depended on, never the copies compaction made.
import { closeSync, existsSync, fdatasyncSync, openSync, readSync, writeSync, ftruncateSync, fstatSync } from "node:fs";

const ERR_FLASH_RANGE = -80;
const ERR_FLASH_BITS = -81;
const ERR_FLASH_IO = -83;

/** The flash imports of a WASM build that keeps its store in RAM: never called (ERR_FLASH_IO if they were). */
export const NO_FLASH = { flashErase: () => ERR_FLASH_IO, flashProgram: () => ERR_FLASH_IO, flashRead: () => ERR_FLASH_IO };

/** `sectorSize`, doubled until a sector holds a record of the largest packet (a record never spans sectors). */
export function sectorSizeFor(sectorSize, packetSizeMax) {
  let size = sectorSize;
  while (size < packetSizeMax + 64) size *= 2;
  return size;
}

/**
 * A file flash's geometry from a board profile (`flash`: sectorSize, sectorCount, writeSize) and
 * the largest packet: sectors grown to hold it, as many as keep the board's capacity, 8 at least.
 */
export function fileFlashGeometry(board, packetSizeMax) {
  const geometry = board.flash ?? {};
  const capacity = (geometry.sectorSize ?? 4096) * (geometry.sectorCount ?? 256);
  const sectorSize = sectorSizeFor(geometry.sectorSize ?? 4096, packetSizeMax);
  return { sectorSize, sectorCount: Math.max(Math.ceil(capacity / sectorSize), 8), writeSize: geometry.writeSize ?? 4 };
}

export class FileFlash {
  constructor(path, { sectorSize = 4096, sectorCount = 64, writeSize = 4, sync = "each" } = {}) {
    if (sync !== "each" && sync !== "barrier") throw new TypeError(`FileFlash: sync must be "each" or "barrier", not ${sync}`);
    Object.assign(this, { path, sectorSize, sectorCount, writeSize });
    this.syncEach = sync === "each";
    this.size = sectorSize * sectorCount;
    /** Per sector: the byte range the image changed in since the last sync ([low, high), low = size when clean). */
    this.dirtyLow = new Array(sectorCount).fill(this.size);
    this.dirtyHigh = new Array(sectorCount).fill(0);
    this.dirtySectors = [];
    /** Counters for benchmarks: bytes programmed, erases, fdatasync calls. */
    this.stats = { programmed: 0, erases: 0, syncs: 0 };
    const fresh = !existsSync(path);
    this.fd = openSync(path, fresh ? "w+" : "r+");
    this.image = Buffer.alloc(this.size, 0xff); // a new flash comes erased
    if (fresh || fstatSync(this.fd).size !== this.size) {
      ftruncateSync(this.fd, this.size);
      writeSync(this.fd, this.image, 0, this.size, 0);
      fdatasyncSync(this.fd);
    } else {
      readSync(this.fd, this.image, 0, this.size, 0);
    }
  }

  /** The three imports, reading and writing `memory` (the WASM instance's, set once it exists). */
  imports(memoryOf) {
    return {
      flashErase: (sector) => this.erase(sector),
      flashProgram: (address, pointer, length) => this.program(address, new Uint8Array(memoryOf().buffer, pointer, length)),
      flashRead: (address, pointer, length) => this.read(address, new Uint8Array(memoryOf().buffer, pointer, length)),
    };
  }

  erase(sector) {
    if (sector < 0 || sector >= this.sectorCount) return ERR_FLASH_RANGE;
    try {
      this.sync(); // what compaction copied must be durable before the originals go
      const start = sector * this.sectorSize;
      this.image.fill(0xff, start, start + this.sectorSize);
      this.stats.erases++;
      this.written(start, this.sectorSize);
      return 0;
    } catch {
      return ERR_FLASH_IO;
    }
  }

  program(address, bytes) {
    const length = bytes.length;
    if (address < 0 || address + length > this.size || address % this.writeSize || length % this.writeSize) return ERR_FLASH_RANGE;
    const image = this.image;
    for (let i = 0; i < length; i++) {
      if ((image[address + i] & bytes[i]) !== bytes[i]) return ERR_FLASH_BITS; // 0 -> 1 needs an erase
    }
    for (let i = 0; i < length; i++) image[address + i] &= bytes[i];
    try {
      this.stats.programmed += length;
      this.written(address, length);
      return 0;
    } catch {
      return ERR_FLASH_IO;
    }
  }

  read(address, target) {
    if (address < 0 || address + target.length > this.size) return ERR_FLASH_RANGE;
    target.set(this.image.subarray(address, address + target.length));
    return 0;
  }

  /** Whether writes are waiting for `sync`. */
  get dirty() {
    return this.dirtySectors.length > 0;
  }

  /** Writes what changed to the file and makes it durable (a no-op when nothing is pending). */
  sync() {
    if (!this.dirty) return;
    for (const sector of this.dirtySectors) {
      const low = this.dirtyLow[sector];
      writeSync(this.fd, this.image, low, this.dirtyHigh[sector] - low, low);
      this.dirtyLow[sector] = this.size;
      this.dirtyHigh[sector] = 0;
    }
    this.dirtySectors.length = 0;
    fdatasyncSync(this.fd);
    this.stats.syncs++;
  }

  /** Notes that image bytes [address, address + length) changed; "each" writes them out now. */
  written(address, length) {
    const sector = Math.floor(address / this.sectorSize);
    if (this.dirtyHigh[sector] === 0) this.dirtySectors.push(sector);
    this.dirtyLow[sector] = Math.min(this.dirtyLow[sector], address);
    this.dirtyHigh[sector] = Math.max(this.dirtyHigh[sector], address + length);
    if (this.syncEach) this.sync();
  }

  close() {
    this.sync();
    closeSync(this.fd);
  }
}
