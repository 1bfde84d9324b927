// expect: destructuring
export function swap(pair: Array<i32>): i32 {
  let a: i32 = 0;
  let b: i32 = 0;
  [a, b] = [pair[1], pair[0]];
  return a - b;
}
