// expect: tsc Cannot find name 'StaticArray'
export const table = new StaticArray<i32>(4);
