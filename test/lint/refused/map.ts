// expect: builtin
export const table = new Map<i32, i32>();
