// expect: small-int-read
export function next(buf: Uint8Array): i32 {
  let b = buf[0];
  b++;
  return b;
}
