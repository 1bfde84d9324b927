// expect: tsc Cannot find name 'i64'
export function wide(x: i32): i32 {
  const big: i64 = x;
  return 0;
}
