// expect: tsc Argument of type '8' is not assignable to parameter of type '0'
export const slots = new Array<i32>(8);
