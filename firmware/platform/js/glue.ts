/**
 * Globals the shared code uses that AssemblyScript provides natively or through
 * firmware/platform/wasm/glue/: esbuild injects this module wherever shared code names them.
 * Declared for the portability lint in tools/lint/portable.d.ts.
 */

/** A failed assertion is our own bug, never the peer's. */
export function assert(condition: boolean, message: string): void {
  if (!condition) throw new Error("assertion failed: " + message);
}

/** Below this many bytes a loop beats the short-lived view `subarray` makes. */
const COPY_LOOP_MAX = 16;

/**
 * Copies `length` bytes from `source[sourceOffset ..]` to `target[targetOffset ..]`. Measured on
 * Espruino 2v29 (Linux build): the loop costs ~5 µs a byte (16 KB in 128 ms), `set(subarray)`
 * 16 KB in 1.1 ms for ~6 transient JsVars; the loop wins only on the shortest copies.
 */
export function bytesCopy(target: Uint8Array, targetOffset: number, source: Uint8Array, sourceOffset: number, length: number): void {
  if (length > COPY_LOOP_MAX) {
    target.set(source.subarray(sourceOffset, sourceOffset + length), targetOffset);
    return;
  }
  for (let i = 0; i < length; i++) target[targetOffset + i] = source[sourceOffset + i];
}
