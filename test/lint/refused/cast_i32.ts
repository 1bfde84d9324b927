// expect: numeric-cast
export function truncate(x: f64): i32 {
  return <i32>x;
}
