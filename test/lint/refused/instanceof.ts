// expect: instanceof
class Entry { value: i32 = 0; }
export function isEntry(e: Entry): bool {
  return e instanceof Entry;
}
