// expect: strict-equals
export function same(a: i32, b: i32): bool {
  return a === b;
}
