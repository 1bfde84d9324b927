// Flash in a file, for the WASM client and gateway on a host: the `flashErase`, `flashProgram`
// and `flashRead` imports of firmware/platform/wasm/flash_host.ts. It keeps NOR flash's rules as
// the memory flash does (a program may only clear bits; erase sets a sector to 0xFF), so what
// runs here runs on a device, and it makes every program durable (fdatasync) before returning:
// the store acknowledges a message only after that.
import { closeSync, existsSync, fdatasyncSync, openSync, readSync, writeSync, ftruncateSync, fstatSync } from "node:fs";

const ERR_FLASH_RANGE = -80;
const ERR_FLASH_BITS = -81;
const ERR_FLASH_IO = -83;

export class FileFlash {
  constructor(path, { sectorSize = 4096, sectorCount = 64, writeSize = 4 } = {}) {
    Object.assign(this, { path, sectorSize, sectorCount, writeSize });
    this.size = sectorSize * sectorCount;
    const fresh = !existsSync(path);
    this.fd = openSync(path, fresh ? "w+" : "r+");
    if (fresh || fstatSync(this.fd).size !== this.size) {
      ftruncateSync(this.fd, this.size);
      writeSync(this.fd, Buffer.alloc(this.size, 0xff), 0, this.size, 0); // a new flash comes erased
      fdatasyncSync(this.fd);
    }
    this.scratch = Buffer.alloc(sectorSize);
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
      writeSync(this.fd, Buffer.alloc(this.sectorSize, 0xff), 0, this.sectorSize, sector * this.sectorSize);
      fdatasyncSync(this.fd);
      return 0;
    } catch {
      return ERR_FLASH_IO;
    }
  }

  program(address, bytes) {
    const length = bytes.length;
    if (address < 0 || address + length > this.size || address % this.writeSize || length % this.writeSize) return ERR_FLASH_RANGE;
    try {
      const old = this.scratch.length >= length ? this.scratch : Buffer.alloc(length);
      readSync(this.fd, old, 0, length, address);
      for (let i = 0; i < length; i++) {
        if ((old[i] & bytes[i]) !== bytes[i]) return ERR_FLASH_BITS; // 0 -> 1 needs an erase
        old[i] &= bytes[i];
      }
      writeSync(this.fd, old, 0, length, address);
      fdatasyncSync(this.fd);
      return 0;
    } catch {
      return ERR_FLASH_IO;
    }
  }

  read(address, target) {
    if (address < 0 || address + target.length > this.size) return ERR_FLASH_RANGE;
    try {
      readSync(this.fd, target, 0, target.length, address);
      return 0;
    } catch {
      return ERR_FLASH_IO;
    }
  }

  close() {
    closeSync(this.fd);
  }
}
