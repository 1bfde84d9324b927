// expect: tsc Cannot find name 'load'
export function first(ptr: i32): i32 {
  return load<i32>(ptr);
}
