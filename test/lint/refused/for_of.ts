// expect: for-of
export function sum(values: Array<i32>): i32 {
  let total: i32 = 0;
  for (const v of values) total += v;
  return total;
}
