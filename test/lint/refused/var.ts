// expect: var
export function one(): i32 {
  var v: i32 = 1;
  return v;
}
