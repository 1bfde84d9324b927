// expect: delete
class Entry { value?: i32; }
export function clear(e: Entry): void {
  delete e.value;
}
