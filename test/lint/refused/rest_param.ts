// expect: rest-param
export function count(...values: Array<i32>): i32 {
  return values.length;
}
