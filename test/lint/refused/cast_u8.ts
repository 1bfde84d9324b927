// expect: numeric-cast
export function low(x: i32): i32 {
  return <u8>x;
}
