// expect: with
class Entry { value: i32 = 0; }
export function read(e: Entry): i32 {
  let v: i32 = 0;
  with (e) { v = 1; }
  return v;
}
