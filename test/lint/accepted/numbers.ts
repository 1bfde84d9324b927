// Arithmetic, typed arrays and math written the portable way.
export function average(total: i32, count: i32): i32 {
  return (total / count) | 0;
}

export function tensOfHalf(a: i32): i32 {
  return ((a / 2) | 0) * 10;
}

export function unsignedQuotient(a: u32, b: u32): u32 {
  return a / b >>> 0;
}

export function ratio(part: f64, whole: f64): f64 {
  return part / whole; // portable: f64
}

export function asUnsigned(x: i32): u32 {
  return x >>> 0;
}

export function readU16(buf: Uint8Array, at: i32): i32 {
  const hi: i32 = buf[at];
  const lo: i32 = buf[at + 1];
  return (hi << 8) | lo;
}

export function writeU16(buf: Uint8Array, at: i32, value: i32): void {
  buf[at] = (value >> 8) & 0xff;
  buf[at + 1] = value & 0xff;
}

export function nibbles(buf: Uint8Array, at: i32): i32 {
  const high = buf[at] >> 4 == 0x0f ? 1 : 0;
  return high + (buf[at] & 0x0f) + bump(buf[at]);
}

function bump(v: i32): i32 { return v + 1; }

export function fill(words: Uint16Array, table: Int32Array, copy: Uint8Array, from: Uint8Array): i32 {
  words.fill(0);
  table.fill(-1, 0, table.length);
  copy.set(from, 0);
  let total: i32 = 0;
  let i = 0;
  while (i < table.length) { total += table[i]; i++; }
  do { total--; } while (total > 100);
  return total + words[0];
}

export function rounded(x: f64): f64 {
  return Math.floor(Math.sqrt(x)) + Math.max(1, x) + Math.min(Math.abs(-x), 3) + Math.ceil(x) + Math.round(x);
}

export function buffers(): Uint8Array {
  const b = new Uint8Array(4);
  b[0] = 300; // stores wrap in both builds
  assert(b.length == 4, "four bytes");
  return b;
}
