/**
 * Flash behind the WASM host's imports: the Node gateway and CLI keep it in a file
 * (tools/client/flash_file.mjs, which enforces the NOR rules), the wasmtime simulator likewise.
 * Bytes cross as (pointer, length) into linear memory; each call is one crossing.
 */
import { Flash } from "../../hal/flash";

@external("env", "flashErase")
declare function hostFlashErase(sector: i32): i32;
@external("env", "flashProgram")
declare function hostFlashProgram(address: i32, source: usize, length: i32): i32;
@external("env", "flashRead")
declare function hostFlashRead(address: i32, target: usize, length: i32): i32;

export class HostFlash extends Flash {
  erase(sector: i32): i32 {
    return hostFlashErase(sector);
  }

  program(address: i32, source: Uint8Array, offset: i32, length: i32): i32 {
    const range = this.checkRange(address, length, true);
    if (range != 0) return range;
    return hostFlashProgram(address, source.dataStart + <usize>offset, length);
  }

  read(address: i32, target: Uint8Array, offset: i32, length: i32): i32 {
    const range = this.checkRange(address, length, false);
    if (range != 0) return range;
    return hostFlashRead(address, target.dataStart + <usize>offset, length);
  }
}
