// expect: default-param
export function scaled(value: i32, factor: i32 = 10): i32 {
  return value * factor;
}
