/**
 * Globals the shared code uses that AssemblyScript provides natively or through
 * firmware/platform/wasm/glue/: esbuild injects this module wherever shared code names them.
 * Declared for the portability lint in tools/lint/portable.d.ts.
 */

/** A failed assertion is our own bug, never the peer's. */
export function assert(condition: boolean, message: string): void {
  if (!condition) throw new Error("assertion failed: " + message);
}

/**
 * Copies `length` bytes from `source[sourceOffset ..]` to `target[targetOffset ..]`. A plain
 * loop: `subarray` would allocate a view (a JsVar on Espruino) on every call.
 */
export function bytesCopy(target: Uint8Array, targetOffset: number, source: Uint8Array, sourceOffset: number, length: number): void {
  for (let i = 0; i < length; i++) target[targetOffset + i] = source[sourceOffset + i];
}
