// expect: generator
export function* counter(): Generator<i32> {
  yield 1;
}
