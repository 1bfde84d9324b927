// expect: logical-assign
export function atLeastOne(n: i32): i32 {
  let v: i32 = n;
  v ||= 1;
  return v;
}
