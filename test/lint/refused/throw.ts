// expect: throw
export function checked(n: i32): i32 {
  if (n < 0) throw n;
  return n;
}
