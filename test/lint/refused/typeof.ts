// expect: typeof
export function isText(v: string | i32): bool {
  return typeof v == "string";
}
