// expect: for-in
class Point { x: i32 = 0; y: i32 = 0; }
export function countFields(p: Point): i32 {
  let n: i32 = 0;
  for (const key in p) n++;
  return n;
}
