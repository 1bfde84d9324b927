// expect: destructuring
class Point { x: i32 = 0; y: i32 = 0; }
export function sum(p: Point): i32 {
  const { x, y } = p;
  return x + y;
}
