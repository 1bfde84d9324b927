/**
 * WASM side of the globals in firmware/platform/js/glue.ts: asc loads this directory as a
 * library (`--lib`), so shared code calls these like built-ins. Declared for the portability
 * lint in tools/lint/portable.d.ts.
 */

/** Copies `length` bytes between windows with one bulk-memory instruction. */
// @ts-ignore: decorator
@global
export function bytesCopy(target: Uint8Array, targetOffset: i32, source: Uint8Array, sourceOffset: i32, length: i32): void {
  assert(targetOffset >= 0 && length >= 0 && targetOffset + length <= target.length, "bytesCopy: target window");
  assert(sourceOffset >= 0 && sourceOffset + length <= source.length, "bytesCopy: source window");
  memory.copy(target.dataStart + <usize>targetOffset, source.dataStart + <usize>sourceOffset, <usize>length);
}
