// expect: closure
export function outer(x: i32): i32 {
  function inner(v: i32): i32 { return v + x; }
  return inner(1);
}
