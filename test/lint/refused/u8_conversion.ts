// expect: tsc Cannot find name 'u8'
export function low(x: i32): i32 {
  return u8(x);
}
