// Goal: the golden vectors hold inside the AssemblyScript runtime too, not only in the builds
// the JavaScript tests load. Method: the vectors, turned into an AssemblyScript module by
// tools/vectors/to_assemblyscript.mjs, are decoded, dumped, re-encoded and cut at every prefix.
import { Limits } from "../../firmware/limits";
import { PacketRepr, packetDecode, packetEncode } from "../../firmware/codec/packet";
import { JsonWriter } from "../harness/json";
import { packetDump } from "../harness/dump";
import {
  VECTOR_COUNT, VECTOR_EXPECT, VECTOR_FIELDS, VECTOR_HEX, VECTOR_NAMES, VECTOR_PACKET_SIZE_MAX, VECTOR_VERSIONS,
} from "../../build/test/vectors_data";

const limits = new Limits();
limits.packetSizeMax = 1 << 19;
limits.propertyCountMax = 64;
const packet = new PacketRepr(limits);
const dumped = new Uint8Array(1 << 20);
const encoded = new Uint8Array(1 << 20);
const json = new JsonWriter(dumped);

function fromHex(hex: string): Uint8Array {
  const result = new Uint8Array(hex.length >> 1);
  for (let i = 0; i < result.length; i++) result[i] = <u8>I32.parseInt(hex.substr(i * 2, 2), 16);
  return result;
}

/** Empty when the vector holds, else what went wrong. */
function check(index: i32): string {
  const bytes = fromHex(VECTOR_HEX[index]);
  const version = VECTOR_VERSIONS[index];
  const sizeMax = VECTOR_PACKET_SIZE_MAX[index];
  const result = packetDecode(bytes, 0, bytes.length, packet, version, sizeMax);
  const expected = VECTOR_EXPECT[index];
  if (expected != 1) return result == expected ? "" : `decode gave ${result}, expected ${expected}`;
  if (result != bytes.length) return `decode gave ${result}, expected ${bytes.length}`;
  json.reset();
  packetDump(json, packet);
  const fields = String.UTF8.decodeUnsafe(dumped.dataStart, json.position);
  if (fields != VECTOR_FIELDS[index]) return `fields ${fields}`;
  const written = packetEncode(packet, encoded, 0);
  if (written != bytes.length) return `re-encode wrote ${written} bytes`;
  for (let i = 0; i < written; i++) if (encoded[i] != bytes[i]) return `re-encode differs at byte ${i}`;
  for (let cut = 0; cut < bytes.length; cut++) {
    const partial = packetDecode(bytes, 0, cut, packet, version, sizeMax);
    if (partial != 0) return `prefix of ${cut} bytes gave ${partial}`;
  }
  return "";
}

describe("golden vectors", () => {
  it("every vector decodes, dumps, re-encodes and frames as recorded", () => {
    let failures = "";
    for (let i = 0; i < VECTOR_COUNT; i++) {
      const problem = check(i);
      if (problem.length > 0) failures += `${VECTOR_NAMES[i]}: ${problem}\n`;
    }
    expect(failures).toBe("");
    expect(VECTOR_COUNT).toBeGreaterThan(0);
  });
});
