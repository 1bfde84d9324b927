// expect: label
export function firstPair(a: Uint8Array): i32 {
  let found: i32 = -1;
  outer: for (let i = 0; i < a.length; i++) {
    for (let j = i + 1; j < a.length; j++) {
      if (a[i] == a[j]) { found = i; break outer; }
    }
  }
  return found;
}
