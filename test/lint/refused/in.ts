// expect: in
class Entry { value: i32 = 0; }
export function hasValue(e: Entry): bool {
  return "value" in e;
}
