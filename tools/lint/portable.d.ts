/**
 * The whole ambient world of shared firmware code (firmware/ minus firmware/platform/),
 * type-checked with `noLib: true`. Everything declared here behaves the same when asc compiles
 * the code to WASM and when esbuild bundles it for Espruino (see ../../../shared/PORTABLE.md,
 * "What works the same in both"). Anything not declared is a tsc error ("Cannot find name"),
 * which is the point: load/store/unchecked/changetype/sizeof/memory/StaticArray, i32(x)-style
 * conversions, Map/Set/Symbol/Promise/BigInt/JSON/Date/console, ArrayBuffer/DataView are
 * missing on one side or behave differently.
 *
 * Deliberately absent:
 * - u8 u16 i8 i16: asc wraps small integers (`let b: u8 = 255; b++` is 0 in WASM, 256 in JS).
 * - i64 u64: exact in WASM, wrong in JS beyond 2^53. isize usize f32 v128: width differs.
 * - Uint32Array Int8Array Int16Array Float32Array …: not among the measured "same" arrays.
 * - subarray/slice (allocate), `new Array<T>(n)` for n != 0 (holes read as undefined in JS,
 *   zeros in asc), Array.from (missing on Espruino).
 * - Math.imul/clz32/trunc/fround (missing on Espruino); Math.pow (not measured; `1 << n`).
 * - Number/String methods such as toString: use template literals.
 */

type i32 = number;
type u32 = number;
type f64 = number;
type bool = boolean;

/** 0 in the esbuild build (`--define:ASC_TARGET=0`), non-zero under asc. */
declare const ASC_TARGET: i32;

declare function assert(condition: bool, message?: string): void;

/** Copies bytes between windows; firmware/platform/{js/glue.ts,wasm/glue/bytes.ts} implement it. */
declare function bytesCopy(target: Uint8Array, targetOffset: i32, source: Uint8Array, sourceOffset: i32, length: i32): void;

// ---- typed arrays: fixed-size storage, index read/write, stores wrap in both builds --------

declare class Uint8Array {
  constructor(length: i32);
  readonly length: i32;
  [index: number]: i32;
  fill(value: i32, start?: i32, end?: i32): void;
  set(source: Uint8Array, offset?: i32): void;
}

declare class Uint16Array {
  constructor(length: i32);
  readonly length: i32;
  [index: number]: i32;
  fill(value: i32, start?: i32, end?: i32): void;
  set(source: Uint16Array, offset?: i32): void;
}

declare class Int32Array {
  constructor(length: i32);
  readonly length: i32;
  [index: number]: i32;
  fill(value: i32, start?: i32, end?: i32): void;
  set(source: Int32Array, offset?: i32): void;
}

// ---- Math: only functions Espruino has and that asc computes the same way -------------------

interface Math {
  floor(x: f64): f64;
  ceil(x: f64): f64;
  round(x: f64): f64;
  abs(x: f64): f64;
  sqrt(x: f64): f64;
  min(a: f64, b: f64): f64;
  max(a: f64, b: f64): f64;
}
declare const Math: Math;

// ---- strings: length, code units, one code unit back to a string ---------------------------

interface String {
  readonly length: i32;
  charCodeAt(index: i32): i32;
}
interface StringConstructor {
  fromCharCode(code: i32): string;
}
declare const String: StringConstructor;

// ---- the global interfaces tsc requires under noLib and strict (no members: nothing to call) -

/** `length`, index access, `push` at init. Create with a literal or `new Array<T>(0)`. */
interface Array<T> {
  readonly length: i32;
  [index: number]: T;
  push(value: T): i32;
}
/** Only length 0: `new Array<T>(n)` holds holes (undefined → NaN) in JS, zeros or nulls in asc. */
declare const Array: { new <T>(length: 0): Array<T> };
interface Boolean {}
interface Function {}
interface CallableFunction {}
interface NewableFunction {}
interface IArguments {}
interface Number {}
interface Object {}
interface RegExp {}
