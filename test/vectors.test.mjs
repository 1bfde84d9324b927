// Goal: every golden vector (bytes captured from Mosquitto's tools and MQTT.js) decodes to its
// recorded fields, re-encodes to its exact bytes, and every malformed vector gets its error —
// identically in the WASM release build, the WASM checked build and the Espruino JS build.
// Method: each vector is decoded whole, then as every strict prefix (must say "need more"),
// then with trailing bytes (must consume exactly the packet), then inside windows filled with
// 0x00 and with 0xff (the answer must not depend on bytes outside the window: an out-of-bounds
// read would show here even in the JS build, where it reads `undefined` instead of aborting).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { loadBuilds, resultName, ERROR_CODES } from "./support/builds.mjs";

const VECTOR_DIR = new URL("./vectors/", import.meta.url);
const families = readdirSync(VECTOR_DIR).filter((name) => name.endsWith(".json")).sort();
const builds = loadBuilds();

/** Problems with one vector in one build, as readable lines. */
function checkVector(build, vector) {
  const problems = [];
  const bytes = Buffer.from(vector.hex, "hex");
  const options = vector.maxPacketSize ? { packetSizeMax: vector.maxPacketSize } : {};
  const expected = vector.expect === "ok" ? bytes.length : ERROR_CODES.get(vector.expect);
  if (expected === undefined) return [`unknown expectation ${vector.expect}`];

  const whole = build.decode(bytes, vector.version, options);
  if (whole !== expected) problems.push(`decode gave ${resultName(whole)}, expected ${vector.expect}`);
  if (vector.expect === "ok" && whole === expected) {
    const fields = build.fields();
    try {
      assert.deepStrictEqual(fields, vector.fields);
    } catch {
      problems.push(`fields differ:\n    got      ${JSON.stringify(fields)}\n    expected ${JSON.stringify(vector.fields)}`);
    }
    const again = build.reencode();
    if (!again.equals(bytes)) problems.push(`re-encode gave ${again.toString("hex")}`);
  }
  if (vector.expect === "ok") {
    for (let cut = 0; cut < bytes.length; cut++) {
      const result = build.decode(bytes, vector.version, { ...options, length: cut });
      if (result !== 0) {
        problems.push(`prefix of ${cut} bytes gave ${resultName(result)}, expected need more`);
        break;
      }
    }
    const trailing = Buffer.concat([bytes, Buffer.from([0x30, 0x00, 0xc0])]);
    const framed = build.decode(trailing, vector.version, options);
    if (framed !== bytes.length) problems.push(`with trailing bytes consumed ${resultName(framed)}`);
  }
  for (const fill of [0x00, 0xff]) {
    const boxed = build.decode(bytes, vector.version, { ...options, offset: 7, fill });
    if (boxed !== whole) problems.push(`inside a window filled with ${fill} gave ${resultName(boxed)}`);
  }
  return problems;
}

test("the vector files exist and cover every packet type", () => {
  const types = new Set();
  for (const family of families) {
    for (const vector of JSON.parse(readFileSync(new URL(family, VECTOR_DIR)))) {
      if (vector.expect === "ok") types.add(`${vector.fields.type}/${vector.version}`);
    }
  }
  const wanted = [];
  for (const version of [3, 4, 5]) {
    for (const type of ["connect", "connack", "publish", "puback", "pubrec", "pubrel", "pubcomp", "subscribe",
      "suback", "unsubscribe", "unsuback", "pingreq", "pingresp", "disconnect"]) wanted.push(`${type}/${version}`);
  }
  wanted.push("auth/5");
  assert.deepEqual(wanted.filter((key) => !types.has(key)), [], "packet types without a valid vector");
});

for (const family of families) {
  const vectors = JSON.parse(readFileSync(new URL(family, VECTOR_DIR)));
  for (const build of builds) {
    test(`${family} (${vectors.length} vectors) in the ${build.name} build`, () => {
      const failures = [];
      for (const vector of vectors) {
        for (const problem of checkVector(build, vector)) failures.push(`${vector.name}: ${problem}`);
      }
      assert.deepEqual(failures, []);
    });
  }
}
