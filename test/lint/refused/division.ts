// expect: division
export function tens(a: i32, b: i32): i32 {
  return (a / b) * 10;
}
