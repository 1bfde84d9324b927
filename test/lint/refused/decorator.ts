// expect: decorator
@inline
export function fast(x: i32): i32 {
  return x + 1;
}
