// expect: numeric-cast
export function unsigned(x: i32): u32 {
  return x as u32;
}
