// expect: division
export function halve(a: i32): i32 {
  let v: i32 = a;
  v /= 2;
  return v | 0;
}
