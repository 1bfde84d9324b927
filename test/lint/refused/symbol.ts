// expect: builtin
export const tag = Symbol("tag");
