// expect: closure
function apply(f: (x: i32) => i32, x: i32): i32 { return f(x); }
export function twice(x: i32): i32 {
  return apply((v: i32): i32 => v * 2, x);
}
