// expect: extends-error
export class DecodeError extends Error {}
