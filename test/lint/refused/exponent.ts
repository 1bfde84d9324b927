// expect: exponent
export function square(n: i32): i32 {
  return n ** 2;
}
