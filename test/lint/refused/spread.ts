// expect: spread
export function copy(values: Array<i32>): Array<i32> {
  return [...values];
}
