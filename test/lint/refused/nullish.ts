// expect: nullish
class Node { value: i32 = 0; }
export function orDefault(n: Node | null, fallback: Node): i32 {
  return (n ?? fallback).value;
}
