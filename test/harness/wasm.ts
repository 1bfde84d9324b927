/** WASM face of the harness: the portable calls plus where the two windows live in memory. */
import { input, output } from "./harness";
export { harnessInit, harnessDecode, harnessDump, harnessEncode, harnessRoundTrip, harnessEncodeLoop } from "./harness";

export function inputPointer(): usize {
  return input.dataStart;
}

export function outputPointer(): usize {
  return output.dataStart;
}
