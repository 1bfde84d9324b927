/**
 * The test harness: the codec behind a handful of i32 calls, identical in both builds, so the
 * same JavaScript tests drive the WASM module and the esbuild bundle. Packets go in through
 * `input`, answers come out through `output`; nothing allocates after `harnessInit`.
 */
import { Limits } from "../../firmware/limits";
import { PacketRepr, packetDecode, packetEncode } from "../../firmware/codec/packet";
import { JsonWriter } from "./json";
import { packetDump } from "./dump";

/** Bytes in each of the input and output windows: room for the largest test packets. */
export const HARNESS_BUFFER_SIZE: i32 = 1 << 20;

export const input: Uint8Array = new Uint8Array(HARNESS_BUFFER_SIZE);
export const output: Uint8Array = new Uint8Array(HARNESS_BUFFER_SIZE);
const limits: Limits = new Limits();
let packet: PacketRepr | null = null;
let json: JsonWriter | null = null;

/** Sizes the codec's tables. Returns 0, or limitsCheck's complaint. */
export function harnessInit(packetSizeMax: i32, propertyCountMax: i32, topicFilterCountMax: i32): i32 {
  const check = limits.configure(packetSizeMax, propertyCountMax, topicFilterCountMax);
  if (check != 0) return check;
  packet = new PacketRepr(limits);
  json = new JsonWriter(output);
  return 0;
}

/** Decodes `input[offset .. offset+length)`. Returns the codec's answer (bytes, 0 or error). */
export function harnessDecode(offset: i32, length: i32, version: i32, packetSizeMax: i32): i32 {
  return packetDecode(input, offset, length, packet!, version, packetSizeMax);
}

/** Writes the last decoded packet as JSON into `output`. Returns its length. */
export function harnessDump(): i32 {
  const writer = json!;
  writer.reset();
  packetDump(writer, packet!);
  return writer.position;
}

/** Encodes the last decoded packet into `output[offset ..)`. Returns bytes or an error. */
export function harnessEncode(offset: i32): i32 {
  return packetEncode(packet!, output, offset);
}

/**
 * Benchmark and allocation workload: `rounds` times, decodes every packet in
 * `input[0 .. length)` (back to back, as one socket read would hold them) and encodes each
 * again into `output`. Returns packets handled, or the first error.
 */
export function harnessRoundTrip(length: i32, version: i32, rounds: i32, encode: bool): i32 {
  const target = packet!;
  let handled: i32 = 0;
  for (let round = 0; round < rounds; round++) {
    let offset: i32 = 0;
    while (offset < length) {
      const used = packetDecode(input, offset, length - offset, target, version, limits.packetSizeMax);
      if (used <= 0) return used == 0 ? -1000 : used;
      if (encode) {
        const written = packetEncode(target, output, 0);
        if (written < 0) return written;
      }
      offset += used;
      handled++;
    }
  }
  return handled;
}

/** Encodes the last decoded packet `rounds` times; the encode-only half of the benchmark. */
export function harnessEncodeLoop(rounds: i32): i32 {
  const target = packet!;
  let written: i32 = 0;
  for (let round = 0; round < rounds; round++) written = packetEncode(target, output, 0);
  return written;
}
