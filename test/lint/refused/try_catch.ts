// expect: try
function step(n: i32): i32 { return n + 1; }
export function guarded(n: i32): i32 {
  try {
    return step(n);
  } catch (e) {
    return -1;
  }
}
