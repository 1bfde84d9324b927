// expect: tsc Property 'subarray' does not exist
export function tail(a: Uint8Array): Uint8Array {
  return a.subarray(1);
}
