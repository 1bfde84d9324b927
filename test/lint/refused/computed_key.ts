// expect: computed-key
export class Slot {
  ["value"]: i32 = 0;
}
