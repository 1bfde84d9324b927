// Codec benchmark (make bench-codec): packets per second for decode and encode, for our WASM
// build, our JS build (the Espruino bundle's code, run by Node) and mqtt-packet 9.0.2 — in one
// run, interleaved, medians of ROUNDS — with the ratios to mqtt-packet.
//
// Packets: a QoS 1 PUBLISH (MQTT 3.1.1) with a 13-byte topic and a 64-byte payload, and an
// MQTT 5 QoS 1 PUBLISH carrying message expiry, content type, response topic, correlation data
// and a user property. Decode feeds BATCH packets back to back per call, as one socket read
// would hold them (our host crosses into WASM once per read), and also one call per packet.
// mqtt-packet parses the same batch with one parser.parse() call and emits one event each.
// Encode: ours writes the decoded Repr into a preallocated window; mqtt-packet generate()
// builds a new Buffer from an object each time (what MQTT.js and aedes do per packet).
import mqttPacket from "mqtt-packet";
import { loadBuild } from "../../test/support/builds.mjs";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const TARGET_MS = Number(process.env.BENCH_MS ?? 300);
const BATCH = 1000;

const PACKETS = [
  {
    name: "QoS 1 PUBLISH v3.1.1, 13 B topic, 64 B payload",
    version: 4,
    object: { cmd: "publish", topic: "sensors/temp1", payload: Buffer.alloc(64, 0x41), qos: 1, messageId: 4242, retain: false, dup: false },
  },
  {
    name: "QoS 1 PUBLISH v5 with properties",
    version: 5,
    object: {
      cmd: "publish", topic: "sensors/temp1", payload: Buffer.alloc(64, 0x41), qos: 1, messageId: 4242, retain: false, dup: false,
      properties: { messageExpiryInterval: 3600, contentType: "application/json", responseTopic: "reply/dev1",
        correlationData: Buffer.from("req-0001"), userProperties: { unit: "celsius" } },
    },
  },
];

/** Runs `body(iterations)` until TARGET_MS has passed; returns operations per second. */
function rate(body, operationsPerCall) {
  let calls = 1;
  for (;;) {
    const start = process.hrtime.bigint();
    body(calls);
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (ms >= TARGET_MS) return (calls * operationsPerCall * 1000) / ms;
    calls = Math.max(calls * 2, Math.ceil((calls * TARGET_MS) / Math.max(ms, 0.01)));
  }
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

function contenders(packet) {
  const bytes = mqttPacket.generate(packet.object, { protocolVersion: packet.version });
  const batch = Buffer.concat(Array.from({ length: BATCH }, () => bytes));
  const result = {};
  for (const name of ["wasm", "js"]) {
    const build = loadBuild(name, { packetSizeMax: 65536, propertyCountMax: 16, topicFilterCountMax: 8 });
    const { exports } = build;
    build.input.set(batch, 0);
    const check = exports.harnessRoundTrip(batch.length, packet.version, 1, false);
    if (check !== BATCH) throw new Error(`${name}: decoded ${check} of ${BATCH}`);
    build.input.set(bytes, 0);
    if (exports.harnessDecode(0, bytes.length, packet.version, 65536) !== bytes.length) throw new Error(`${name}: decode failed`);
    result[`${name} decode (batch)`] = () => rate((calls) => {
      for (let i = 0; i < calls; i++) {
        build.input.set(batch, 0);
        exports.harnessRoundTrip(batch.length, packet.version, 1, false);
      }
    }, BATCH);
    result[`${name} decode (per packet)`] = () => rate((calls) => {
      build.input.set(bytes, 0);
      for (let i = 0; i < calls; i++) exports.harnessDecode(0, bytes.length, packet.version, 65536);
    }, 1);
    result[`${name} encode`] = () => {
      build.input.set(bytes, 0);
      exports.harnessDecode(0, bytes.length, packet.version, 65536);
      return rate((calls) => exports.harnessEncodeLoop(calls), 1);
    };
  }
  result["mqtt-packet parse (batch)"] = () => {
    const parser = mqttPacket.parser({ protocolVersion: packet.version });
    let seen = 0;
    parser.on("packet", () => seen++);
    return rate((calls) => {
      for (let i = 0; i < calls; i++) parser.parse(batch);
    }, BATCH);
  };
  result["mqtt-packet generate"] = () => rate((calls) => {
    for (let i = 0; i < calls; i++) mqttPacket.generate(packet.object, { protocolVersion: packet.version });
  }, 1);
  return result;
}

const fmt = (value) => value >= 1e6 ? `${(value / 1e6).toFixed(2)}M` : `${(value / 1e3).toFixed(0)}k`;

console.log(`codec benchmark: node ${process.version}, ${ROUNDS} rounds of ~${TARGET_MS} ms each, medians`);
for (const packet of PACKETS) {
  const runs = contenders(packet);
  const samples = Object.fromEntries(Object.keys(runs).map((key) => [key, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [key, run] of Object.entries(runs)) samples[key].push(run());
  }
  const medians = Object.fromEntries(Object.entries(samples).map(([key, values]) => [key, median(values)]));
  const parse = medians["mqtt-packet parse (batch)"];
  const generate = medians["mqtt-packet generate"];
  console.log(`\n${packet.name}`);
  console.log(`  ${"contender".padEnd(30)} ${"packets/s".padStart(10)}  vs mqtt-packet`);
  for (const [key, value] of Object.entries(medians)) {
    const base = key.includes("encode") || key.includes("generate") ? generate : parse;
    console.log(`  ${key.padEnd(30)} ${fmt(value).padStart(10)}  ${(value / base).toFixed(1)}x`);
  }
}
