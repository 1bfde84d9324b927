// expect: array-from
export function copy(a: Array<i32>): Array<i32> {
  return Array.from(a);
}
