// expect: tsc 'i32' only refers to a type
export function whole(x: f64): i32 {
  return i32(x);
}
