// expect: tsc Property 'imul' does not exist
export function mul(a: i32, b: i32): i32 {
  return Math.imul(a, b);
}
