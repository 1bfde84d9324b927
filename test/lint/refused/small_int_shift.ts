// expect: small-int-read
export function readU16(buf: Uint8Array, at: i32): i32 {
  return (buf[at] << 8) | buf[at + 1];
}
