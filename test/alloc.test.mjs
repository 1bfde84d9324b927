// Goal: after init the codec allocates nothing, whatever it decodes or encodes.
// Method: the WASM release build exports the stub runtime's bump pointer (`heapTop`, added by
// tools/build/heap_top.mjs); the stub allocator only ever moves it up, so an unchanged heapTop
// across a workload proves the workload allocated nothing. The workload is 1,000,000+ packets
// of every type and version (decode, then encode again), plus malformed and truncated input.
// A control shows the probe does see allocation: a second init moves heapTop.
import { test } from "node:test";
import assert from "node:assert/strict";
import { loadBuild } from "./support/builds.mjs";
import { rng, randomPacket } from "./support/random_packets.mjs";
import { generateWithMqttPacket } from "./support/mqtt_packet_fields.mjs";

const PACKETS_MIN = 1_000_000;

function batch(version, random, count) {
  const packets = [];
  while (packets.length < count) {
    const candidate = randomPacket(random);
    if (candidate.version !== version) continue;
    try {
      const bytes = generateWithMqttPacket(candidate.fields, version);
      if (bytes.length < 2000) packets.push(bytes);
    } catch {
      // mqtt-packet refused to generate it
    }
  }
  return Buffer.concat(packets);
}

test("a million-packet mixed workload leaves the heap top where init left it", () => {
  const build = loadBuild("wasm");
  const { exports } = build;
  const random = rng(7);
  const batches = [3, 4, 5].map((version) => ({ version, bytes: batch(version, random, 400) }));

  const afterInit = build.heapTop();
  assert.ok(afterInit > 0, "heapTop is exported and non-zero");
  let handled = 0;
  while (handled < PACKETS_MIN) {
    for (const { version, bytes } of batches) {
      build.input.set(bytes, 0);
      const count = exports.harnessRoundTrip(bytes.length, version, 50, true);
      assert.ok(count > 0, `round trip of v${version} failed with ${count}`);
      handled += count;
    }
  }
  // Malformed and truncated input, one call each, through the dump path too.
  for (let i = 0; i < 20000; i++) {
    const { version, bytes } = batches[i % 3];
    const start = random.int(0, bytes.length - 8);
    const slice = Buffer.from(bytes.subarray(start, start + random.int(1, 300)));
    slice[random.int(0, slice.length - 1)] ^= 1 << random.int(0, 7);
    const result = build.decode(slice, version);
    if (result > 0) {
      exports.harnessDump();
      exports.harnessEncode(0);
    }
  }
  assert.equal(build.heapTop(), afterInit, `heap grew by ${build.heapTop() - afterInit} bytes over ${handled} packets`);
  console.log(`  ${handled} packets decoded and re-encoded, 20000 broken inputs; heapTop stayed at ${afterInit}`);

  // Control: the probe sees an allocation when there is one.
  exports.harnessInit(4096, 8, 4);
  assert.ok(build.heapTop() > afterInit, "a second init allocates, and heapTop shows it");
});
