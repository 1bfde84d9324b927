// expect: tsc Cannot find name 'Uint32Array'
export const words = new Uint32Array(4);
