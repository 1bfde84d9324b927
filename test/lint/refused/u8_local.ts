// expect: tsc Cannot find name 'u8'
export function wraps(): i32 {
  let b: u8 = 255;
  b++;
  return b;
}
