// expect: closure
export const double = function (v: i32): i32 { return v * 2; };
