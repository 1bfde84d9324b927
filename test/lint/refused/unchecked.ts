// expect: tsc Cannot find name 'unchecked'
export function at(a: Int32Array, i: i32): i32 {
  return unchecked(a[i]);
}
