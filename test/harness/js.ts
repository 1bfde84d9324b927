/** JS face of the harness: one plain global object, as the Espruino build has. */
import {
  harnessDecode, harnessDump, harnessEncode, harnessEncodeLoop, harnessInit, harnessRoundTrip, input, output,
} from "./harness";

declare const global: any;

global.wrenmqHarness = {
  harnessInit: harnessInit,
  harnessDecode: harnessDecode,
  harnessDump: harnessDump,
  harnessEncode: harnessEncode,
  harnessRoundTrip: harnessRoundTrip,
  harnessEncodeLoop: harnessEncodeLoop,
  input: input,
  output: output,
};
