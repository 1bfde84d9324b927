// expect: optional-chain
class Node { value: i32 = 0; }
export function valueOf(n: Node | null): i32 {
  const v = n?.value;
  return v == null ? 0 : v;
}
