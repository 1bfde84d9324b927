#!/usr/bin/env node
// Store benchmark (issue 5): what keeping QoS 1 state on flash costs the broker, in one run.
//
//   node tools/bench/store.mjs                  full run: medians of 5 rounds (~40 s on 2 cores)
//   BENCH_QUICK=1 node tools/bench/store.mjs    smoke run: small counts, 1 round (~5 s)
//
// Part A, the core alone (no sockets, no host): the WASM broker (build/test/broker.wasm, a 4 MB
// build) driven by scripted clients with pre-encoded packets, as test/broker_power_cut.test.mjs
// drives it. A 3.1.1 publisher sends QoS 1 PUBLISHes (topic "bench/t", 64-byte payload: 77 bytes
// on the wire) to one persistent subscriber (3.1.1, clean session 0, QoS 1 subscription), which
//   (a) is offline: a batch of 1,000 messages (500 in the smoke run) is queued, then it
//       reconnects and drains them, acknowledging as they come, and disconnects again; or
//   (b) is online and acknowledges each window of deliveries as it gets it.
// The flash is memory behind the flashErase/flashProgram/flashRead imports (NOR rules kept), and
// every program is classified by the record header it carries (sector header, message, delivery,
// update, tombstone, or a compaction copy: a data record whose id was written before). Reported:
// bytes programmed per message and write amplification (over the 64 payload bytes and over the
// PUBLISH's wire size), records appended per message and per second, erases per 1,000 messages,
// and messages/s through the core with the store (`initWithFlash`) against the same workload
// without one (`init`: everything in RAM), as a ratio.
//
// Part B, the gateway over TCP on 127.0.0.1: tools/gateway/host.mjs's BrokerHost with the
// pi-gateway board's limits, each in its own process (this file with --gateway), store off, and
// store on (a flash file in os.tmpdir(), the geometry tools/gateway/main.mjs derives from the
// board for --flash, a fresh file each start; FileFlash in "barrier" mode: one fdatasync before
// each batch of socket writes). Beside them Debian's mosquitto with `persistence true` (its other settings as in
// `make bench`, tools/bench/brokers.mjs), which acknowledges before it writes anything: it saves
// its database every autosave_interval (1800 s) and at exit, so it is the reference for speed,
// not for durability. MQTT.js 5.16.0, speaking 3.1.1, for both clients (in this process):
//   - throughput: one publisher keeping BENCH_WINDOW QoS 1 publishes unacknowledged, 64-byte
//     payloads with a sequence number, to a persistent subscriber that is online (its PUBACKs
//     are MQTT.js's own); rate = messages / (first publish -> last PUBACK and last delivery);
//   - latency: window 1, the time from publish() to its callback (the PUBACK), p50/p99.
// Also: fdatasync calls and bytes programmed per message (host.flash.stats), the gateway's CPU
// time per message (/proc), and the filesystem of os.tmpdir() (fdatasync's cost depends on it).
// Medians of BENCH_ROUNDS rounds, brokers in a rotating order, after a discarded warm-up round.
// Every run is bounded: a message count, a time cap and a stall limit.
//
// Environment:
//   BENCH_ROUNDS=5          rounds (medians)
//   BENCH_QUICK=1           small counts, 1 round unless BENCH_ROUNDS is set
//   BENCH_ONLY=core,gateway one part
//   BENCH_WINDOW=20         QoS 1 publishes unacknowledged in the gateway throughput runs
//   BENCH_PROFILE=<dir>     run the gateways under `node --cpu-prof` and print their top functions
//   BENCH_JSON=<file>       where to write every run's figures (default build/bench/store.json)
import { fork, spawn, spawnSync } from "node:child_process";
import { closeSync, fdatasyncSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { performance } from "node:perf_hooks";
import mqttPacket from "mqtt-packet";
import { BrokerProcess, MOSQUITTO, cpuMsOf, freePort, mosquittoConf } from "./brokers.mjs";
import { Framer, PAYLOAD_SIZE, PUBACK, PUBLISH, acks, payloadOffset, publishPacketId, publishStream } from "./wire.mjs";
import { formatNumber, formatRate, formatRatio, median, progress, table } from "./report.mjs";
import { NO_FLASH, fileFlashGeometry } from "../client/flash_file.mjs";

const ROOT = new URL("../../", import.meta.url).pathname;
const SELF = fileURLToPath(import.meta.url);
const BOARD = JSON.parse(readFileSync(join(ROOT, "boards/pi-gateway.json"), "utf8"));
const TOPIC = "bench/t";

// ==== the gateway process (store off or on) =======================================================

async function gatewayChild({ port, flash }) {
  const { BrokerHost } = await import("../gateway/host.mjs");
  const host = new BrokerHost({ limits: gatewayLimits(), flash });
  await host.listen({ port, host: "127.0.0.1" });
  process.on("message", (message) => {
    if (message === "stats") process.send({ stats: host.flash ? { ...host.flash.stats } : null, counters: host.counters() });
  });
  process.on("disconnect", () => process.exit(1)); // the benchmark went away
  process.on("SIGTERM", async () => {
    await host.close();
    process.exit(0);
  });
  process.send("ready");
}

/** The pi-gateway board's limits, without $SYS (mosquitto has sys_interval 0 here too). */
function gatewayLimits() {
  return { ...BOARD.limits, sysIntervalSeconds: 0 };
}

/** The flash geometry tools/gateway/main.mjs derives from the board for --flash (the same function). */
function gatewayFlash(path) {
  return { path, ...fileFlashGeometry(BOARD, BOARD.limits.packetSizeMax ?? 4096) };
}

// ==== the benchmark ===============================================================================

async function benchmark() {
  const env = process.env;
  const QUICK = env.BENCH_QUICK === "1";
  const ROUNDS = Number(env.BENCH_ROUNDS ?? (QUICK ? 1 : 5));
  const ONLY = new Set(env.BENCH_ONLY ? env.BENCH_ONLY.split(",") : ["core", "gateway"]);
  const WINDOW = Number(env.BENCH_WINDOW ?? 20);
  const JSON_PATH = env.BENCH_JSON ?? join(ROOT, "build/bench/store.json");
  const SIZES = QUICK
    ? { core: 5000, offlineBatch: 500, qos1: 2000, latency: 200, fsync: 50, capMs: 5000, stallMs: 3000 }
    : { core: 100000, offlineBatch: 1000, qos1: 20000, latency: 2000, fsync: 300, capMs: 20000, stallMs: 3000 };
  const WARMUP = { core: 2000, qos1: 1000, latency: 100 };

  const workDir = mkdtempSync(join(tmpdir(), "wrenmq-bench-store-"));
  const running = new Set();
  let stopping = false;
  const shutdown = async (code) => {
    if (stopping) return;
    stopping = true;
    await Promise.all([...running].map((broker) => broker.stop(2000).catch(() => {})));
    rmSync(workDir, { recursive: true, force: true });
    process.exit(code);
  };
  process.on("SIGINT", () => shutdown(130));
  process.on("SIGTERM", () => shutdown(143));
  process.stdout.on("error", () => shutdown(1));
  setTimeout(() => {
    console.error("store benchmark: overall time limit reached, stopping");
    shutdown(1);
  }, Number(env.BENCH_TIMEOUT_S ?? 900) * 1000).unref();

  try {
    const started = Date.now();
    const filesystem = filesystemOf(workDir);
    console.log(`store benchmark: ${ROUNDS} round(s)${QUICK ? " (quick)" : ""}; node ${process.version}; ` +
      `os.tmpdir() ${tmpdir()} on ${filesystem.type} (${filesystem.source})`);
    const results = { core: null, gateway: null };
    if (ONLY.has("core")) results.core = coreBenchmark({ ROUNDS, SIZES, WARMUP });
    if (ONLY.has("gateway")) {
      results.gateway = await gatewayBenchmark({ ROUNDS, SIZES, WARMUP, WINDOW, workDir, running });
    }
    progress("");
    const seconds = (Date.now() - started) / 1000;
    console.log(`\n## Store benchmark — ${new Date().toISOString().slice(0, 10)}, medians of ${ROUNDS} round(s), ${seconds.toFixed(0)} s`);
    if (results.core) reportCore(results.core, SIZES);
    if (results.gateway) reportGateway(results.gateway, { SIZES, WINDOW, filesystem });
    mkdirSync(dirname(JSON_PATH), { recursive: true });
    writeFileSync(JSON_PATH, JSON.stringify({ date: new Date().toISOString(), node: process.version, rounds: ROUNDS, quick: QUICK,
      window: WINDOW, sizes: SIZES, filesystem, coreGeometry: CORE_GEOMETRY, coreLimits: CORE_LIMITS,
      gatewayFlash: gatewayFlash("<tmp>"), results }, null, 1));
    console.log(`\nevery run's figures: ${JSON_PATH.replace(ROOT, "")}`);
    await shutdown(0);
  } catch (error) {
    console.error(`\nstore benchmark failed: ${error.stack ?? error}`);
    await shutdown(1);
  }
}

/** `df -T` of `path`: filesystem type and source. */
function filesystemOf(path) {
  const out = spawnSync("df", ["-T", path], { encoding: "utf8" }).stdout.trim().split("\n").pop()?.split(/\s+/) ?? [];
  return { source: out[0] ?? "?", type: out[1] ?? "?" };
}

// ==== Part A: the core alone ======================================================================

const CORE_WASM = join(ROOT, "build/test/broker.wasm");
const LIMIT_IDS = {
  packetSizeMax: 1, sessionCountMax: 5, connectionCountMax: 4, subscriptionCountMax: 6, queueCountMax: 9, inflightCountMax: 10,
  incomingCountMax: 11, messageCountMax: 12, messageBytesMax: 13, retainedCountMax: 14, sysIntervalSeconds: 18, storeRecordCountMax: 23,
};
/** Room for an offline batch of 1,000 in the queue, the pool and the store; a subscriber window of 100. */
const CORE_LIMITS = {
  packetSizeMax: 1024, sessionCountMax: 8, connectionCountMax: 8, subscriptionCountMax: 16, queueCountMax: 1000, inflightCountMax: 100,
  incomingCountMax: 100, messageCountMax: 2048, messageBytesMax: 1 << 18, retainedCountMax: 8, sysIntervalSeconds: 0, storeRecordCountMax: 4096,
};
/** A device-sized NOR flash: 64 sectors of 4 KB (256 KB), 4-byte writes. */
const CORE_GEOMETRY = { sectorSize: 4096, sectorCount: 64, writeSize: 4 };
/** Messages per input call in the online case: a socket read's worth. */
const CORE_WINDOW = 50;
const COUNTER = { dropQueueFull: 6, dropPoolFull: 7, storeFull: 11, storeFailed: 12 };
const KIND_NAMES = { 3: "session", 4: "subscription", 5: "message", 6: "delivery" };
const CLASSES = ["message", "delivery", "update", "tombstone", "copy", "header", "session", "subscription", "other"];
const DISCONNECT = Buffer.from([0xe0, 0x00]);
let coreModule = null;
const streams = new Map();

/** One instance of the broker core, with or without a memory flash whose programs are counted. */
class Core {
  constructor(withStore) {
    coreModule ??= new WebAssembly.Module(readFileSync(CORE_WASM));
    const { sectorSize, sectorCount, writeSize } = CORE_GEOMETRY;
    this.image = new Uint8Array(sectorSize * sectorCount).fill(0xff);
    this.stats = newFlashStats();
    let dataIdMax = 0;
    const image = this.image;
    const stats = this.stats;
    const flash = {
      flashErase: (sector) => {
        image.fill(0xff, sector * sectorSize, (sector + 1) * sectorSize);
        stats.erases++;
        return 0;
      },
      flashProgram: (address, pointer, length) => {
        const bytes = this.bytes;
        for (let i = 0; i < length; i++) {
          const b = bytes[pointer + i];
          if ((image[address + i] & b) !== b) throw new Error(`NOR rule broken at ${address + i}`);
          image[address + i] &= b;
        }
        stats.programmed += length;
        stats.programs++;
        let kind;
        if (address % sectorSize === 0) kind = "header";
        else {
          const code = bytes[pointer];
          if (code === 0x7f) kind = bytes[pointer + 1] === 0xfe ? "tombstone" : "update";
          else {
            const id = ((bytes[pointer + 4] << 24) | (bytes[pointer + 5] << 16) | (bytes[pointer + 6] << 8) | bytes[pointer + 7]) >>> 0;
            if (id <= dataIdMax) kind = "copy";
            else {
              dataIdMax = id;
              kind = KIND_NAMES[code] ?? "other";
            }
          }
        }
        stats.count[kind]++;
        stats.bytes[kind] += length;
        return 0;
      },
      flashRead: (address, pointer, length) => {
        this.bytes.set(image.subarray(address, address + length), pointer);
        return 0;
      },
    };
    const env = {
      abort: (m, f, line, column) => { throw new Error(`wasm abort at ${line}:${column}`); },
      authenticate: () => 0,
      authorize: () => 1,
      ...(withStore ? flash : NO_FLASH),
    };
    this.core = new WebAssembly.Instance(coreModule, { env }).exports;
    this.bytes = new Uint8Array(this.core.memory.buffer); // initialMemory == maximumMemory: never detaches
    for (const [name, value] of Object.entries(CORE_LIMITS)) {
      if (this.core.limitSet(LIMIT_IDS[name], value) !== 0) throw new Error(`limit ${name} unknown to the core`);
    }
    const status = withStore ? this.core.initWithFlash(sectorSize, sectorCount, writeSize, 0) : this.core.init();
    if (status !== 0) throw new Error(`${withStore ? "initWithFlash" : "init"} answered ${status}`);
    this.rxSize = this.core.rxSize();
    this.rx = new Uint8Array(this.core.memory.buffer, this.core.rxPointer(), this.rxSize);
    this.tx = Buffer.from(this.core.memory.buffer, this.core.txPointer(), this.rxSize);
    this.handlers = new Map();
  }

  now() {
    return performance.now() | 0;
  }

  /** A connection whose output goes to `handler(bytes)` (a view, valid during the call). */
  open(handler) {
    const slot = this.core.open(this.now());
    if (slot < 0) throw new Error("open refused");
    this.handlers.set(slot, handler);
    return slot;
  }

  close(slot) {
    this.input(slot, DISCONNECT);
    this.core.closed(slot, this.now());
    this.handlers.delete(slot);
    this.drain();
  }

  /** Feeds `bytes` (whole packets) to `slot` in windows of rxSize, as the host does per socket read. */
  input(slot, bytes) {
    let offset = 0;
    while (offset < bytes.length) {
      const length = Math.min(this.rxSize, bytes.length - offset);
      this.rx.set(bytes.subarray(offset, offset + length), 0);
      const used = this.core.input(slot, this.now(), length);
      offset += used;
      if (used < length && this.drain() === 0 && used === 0) throw new Error(`input stuck at ${offset} of ${bytes.length}`);
    }
    this.drain();
  }

  /** Hands every writable slot's output to its handler; drops events. Returns the bytes collected. */
  drain() {
    let total = 0;
    const core = this.core;
    for (let slot = core.nextWritable(); slot >= 0; slot = core.nextWritable()) {
      const handler = this.handlers.get(slot);
      for (;;) {
        const length = core.output(slot, this.now());
        if (length === 0) break;
        total += length;
        handler?.(this.tx.subarray(0, length));
      }
    }
    while (core.nextEvent() >= 0);
    return total;
  }

  counter(name) {
    return this.core.counter(COUNTER[name]) >>> 0;
  }
}

function newFlashStats() {
  return {
    programmed: 0, programs: 0, erases: 0,
    count: Object.fromEntries(CLASSES.map((name) => [name, 0])),
    bytes: Object.fromEntries(CLASSES.map((name) => [name, 0])),
  };
}

function statsDelta(after, before) {
  return {
    programmed: after.programmed - before.programmed, programs: after.programs - before.programs, erases: after.erases - before.erases,
    count: Object.fromEntries(CLASSES.map((name) => [name, after.count[name] - before.count[name]])),
    bytes: Object.fromEntries(CLASSES.map((name) => [name, after.bytes[name] - before.bytes[name]])),
  };
}

const packet = (fields) => mqttPacket.generate(fields, { protocolVersion: 4 });

/**
 * One run of `count` messages, `mode` "online" or "offline", with or without the store. Returns
 * the time the workload took (setup excluded), the flash programs it made, and its checks.
 */
function coreRun(mode, withStore, count, offlineBatch) {
  if (!streams.has(count)) streams.set(count, publishStream(4, 1, TOPIC, count));
  const { bytes: stream, size } = streams.get(count);
  const core = new Core(withStore);
  let acked = 0;
  let delivered = 0;
  let duplicates = 0;
  const seen = new Uint8Array(count);
  const ackIds = new Uint16Array(65536);
  let ackCount = 0;
  const pubFramer = new Framer();
  const subFramer = new Framer();
  const keep = (framer) => { if (framer.rest !== null) framer.rest = Buffer.from(framer.rest); }; // tx is reused
  const onPublisher = (bytes) => {
    pubFramer.feed(bytes, (first) => { if (first >> 4 === PUBACK) acked++; });
    keep(pubFramer);
  };
  const onSubscriber = (bytes) => {
    subFramer.feed(bytes, (first, buffer, start) => {
      if (first >> 4 !== PUBLISH) return;
      const at = payloadOffset(first, buffer, start, 4);
      const sequence = buffer.readUInt32LE(at);
      if (sequence < count && seen[sequence] === 0) {
        seen[sequence] = 1;
        delivered++;
      } else duplicates++;
      ackIds[ackCount++] = publishPacketId(buffer, start);
    });
    keep(subFramer);
  };
  const subscriberConnect = () => {
    subFramer.rest = null;
    const slot = core.open(onSubscriber);
    core.input(slot, packet({ cmd: "connect", protocolId: "MQTT", protocolVersion: 4, clientId: "sub", clean: false, keepalive: 0 }));
    return slot;
  };
  /** The subscriber acknowledges what it got, until nothing more comes. */
  const acknowledge = (slot) => {
    while (ackCount > 0) {
      const out = acks(PUBACK, ackIds, ackCount);
      ackCount = 0;
      core.input(slot, out);
    }
  };

  const pub = core.open(onPublisher);
  core.input(pub, packet({ cmd: "connect", protocolId: "MQTT", protocolVersion: 4, clientId: "pub", clean: true, keepalive: 0 }));
  let sub = subscriberConnect();
  core.input(sub, packet({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic: TOPIC, qos: 1 }] }));
  if (mode === "offline") {
    core.close(sub);
    sub = -1;
  }
  const before = structuredClone(core.stats);
  const startedAt = performance.now();
  if (mode === "online") {
    for (let sent = 0; sent < count;) {
      const n = Math.min(CORE_WINDOW, count - sent);
      core.input(pub, stream.subarray(sent * size, (sent + n) * size));
      sent += n;
      acknowledge(sub);
    }
  } else {
    for (let sent = 0; sent < count;) {
      const n = Math.min(offlineBatch, count - sent);
      core.input(pub, stream.subarray(sent * size, (sent + n) * size));
      sent += n;
      sub = subscriberConnect();
      acknowledge(sub);
      core.close(sub);
    }
  }
  const seconds = (performance.now() - startedAt) / 1000;
  const flash = statsDelta(core.stats, before);
  const counters = Object.fromEntries(Object.keys(COUNTER).map((name) => [name, core.counter(name)]));
  return {
    mode, store: withStore, count, seconds, rate: count / seconds, acked, delivered, duplicates, lost: count - delivered, counters,
    storeCount: withStore ? core.core.storeCount() : 0, flash, wireSize: size,
  };
}

function coreBenchmark({ ROUNDS, SIZES, WARMUP }) {
  const runs = [];
  progress("core: warm-up (discarded)");
  for (const mode of ["online", "offline"]) for (const store of [false, true]) coreRun(mode, store, WARMUP.core, SIZES.offlineBatch);
  for (let round = 0; round < ROUNDS; round++) {
    for (const mode of ["online", "offline"]) {
      const order = round % 2 ? [true, false] : [false, true];
      for (const store of order) {
        progress(`core: round ${round + 1}/${ROUNDS} ${mode} ${store ? "store" : "no store"}`);
        runs.push(coreRun(mode, store, SIZES.core, SIZES.offlineBatch));
      }
    }
  }
  return runs;
}

function reportCore(runs, SIZES) {
  const { sectorSize, sectorCount, writeSize } = CORE_GEOMETRY;
  const wireSize = runs[0].wireSize;
  console.log(`\n### Part A — the core alone (build/test/broker.wasm, no sockets), ${formatRate(SIZES.core)} QoS 1 messages per run`);
  console.log(`\nPUBLISH: 3.1.1, topic "${TOPIC}", ${PAYLOAD_SIZE}-byte payload, ${wireSize} bytes on the wire. ` +
    `Memory flash: ${sectorCount} sectors of ${sectorSize} B, ${writeSize}-byte writes. ` +
    `Online: the publisher's input ${CORE_WINDOW} messages at a time, the subscriber acknowledging each window; ` +
    `offline: batches of ${SIZES.offlineBatch} queued, then drained (reconnect, ≤ ${CORE_LIMITS.inflightCountMax} in flight).`);
  const modes = [["online", "subscriber online, acking"], ["offline", `subscriber offline, then drained (batches of ${SIZES.offlineBatch})`]];
  const pick = (mode, store, f) => median(runs.filter((r) => r.mode === mode && r.store === store).map(f));
  const perMessage = (f) => (r) => f(r) / r.count;
  const lines = [];
  const row = (label, f, show) => lines.push([label, ...modes.map(([mode]) => show(pick(mode, true, f)))]);
  row("bytes programmed per message", perMessage((r) => r.flash.programmed), (v) => formatNumber(v, 1));
  row(`write amplification: bytes programmed / ${PAYLOAD_SIZE} B payload`, perMessage((r) => r.flash.programmed / PAYLOAD_SIZE), formatRatio);
  row(`write amplification: bytes programmed / ${wireSize} B PUBLISH`, perMessage((r) => r.flash.programmed / wireSize), formatRatio);
  row("store records appended per message (sector headers not counted)", perMessage((r) => r.flash.programs - r.flash.count.header), (v) => formatNumber(v, 2));
  for (const name of ["message", "delivery", "update", "tombstone", "copy"]) {
    const label = { message: "message records", delivery: "delivery records", update: "updates (SENT)", tombstone: "tombstones", copy: "compaction copies" }[name];
    lines.push([`  ${label}: records / bytes per message`, ...modes.map(([mode]) =>
      `${formatNumber(pick(mode, true, (r) => r.flash.count[name] / r.count), 2)} / ${formatNumber(pick(mode, true, (r) => r.flash.bytes[name] / r.count), 1)}`)]);
  }
  lines.push(["  sector headers and other records: bytes per message", ...modes.map(([mode]) =>
    formatNumber(pick(mode, true, (r) => (r.flash.bytes.header + r.flash.bytes.session + r.flash.bytes.subscription + r.flash.bytes.other) / r.count), 2))]);
  row("erases per 1,000 messages", (r) => (r.flash.erases * 1000) / r.count, (v) => formatNumber(v, 1));
  row("store records appended per second (memory flash)", (r) => (r.flash.programs - r.flash.count.header) / r.seconds, formatRate);
  console.log("");
  table(["", ...modes.map(([, label]) => label)], lines);

  const speed = modes.map(([mode, label]) => {
    const off = pick(mode, false, (r) => r.rate);
    const on = pick(mode, true, (r) => r.rate);
    return [`${label}: messages/s through the core`, formatRate(off), formatRate(on), formatRatio(on / off),
      `${formatNumber(1e6 / on - 1e6 / off, 2)} µs`];
  });
  console.log("");
  table(["", "no store (init)", "memory-flash store (initWithFlash)", "store / no store", "store's cost per message"], speed);

  const problems = runs.filter((r) => r.lost || r.duplicates || r.acked !== r.count || r.counters.storeFull || r.counters.storeFailed ||
    r.counters.dropQueueFull || r.counters.dropPoolFull);
  console.log(`\nDelivery check: ${runs.length} runs, ` + (problems.length === 0 ? "every message acknowledged and delivered once, no store or queue refusals"
    : `PROBLEMS in ${problems.length}: ${problems.map((r) => `${r.mode}/${r.store ? "store" : "RAM"}: lost ${r.lost}, dup ${r.duplicates}, acked ${r.acked}, ${JSON.stringify(r.counters)}`).join("; ")}`));
}

// ==== Part B: the gateway over TCP ================================================================

const PROFILE_DIR = process.env.BENCH_PROFILE ?? null;
const BROKERS = [
  { name: "off", label: "wrenmq, store off" },
  { name: "on", label: "wrenmq, store on" },
  { name: "mosquitto", label: "mosquitto, persistence true" },
];

async function startBroker(name, workDir) {
  const port = await freePort();
  const logPath = join(workDir, `${name}-${port}.log`);
  const log = openSync(logPath, "a");
  let child;
  let argv;
  if (name === "mosquitto") {
    const conf = join(workDir, `mosquitto-${port}.conf`);
    const data = join(workDir, `mosquitto-${port}-data`);
    mkdirSync(data);
    writeFileSync(conf, mosquittoConf(port).replace("persistence false", `persistence true\npersistence_location ${data}/`));
    argv = [MOSQUITTO, "-c", conf];
    child = spawn(argv[0], argv.slice(1), { stdio: ["ignore", log, log] });
  } else {
    const flash = name === "on" ? gatewayFlash(join(workDir, `wrenmq-${port}.flash`)) : null;
    argv = [process.execPath, SELF, "--gateway", JSON.stringify({ port, flash })];
    const execArgv = PROFILE_DIR ? ["--cpu-prof", `--cpu-prof-dir=${PROFILE_DIR}`, `--cpu-prof-name=gateway-${name}.cpuprofile`] : [];
    child = fork(SELF, ["--gateway", JSON.stringify({ port, flash })], { stdio: ["ignore", log, log, "ipc"], execArgv });
    await new Promise((resolve, reject) => {
      child.once("message", resolve);
      child.once("exit", (code) => reject(new Error(`gateway (${name}) exited with ${code}: ${readFileSync(logPath, "utf8")}`)));
    });
  }
  const broker = new BrokerProcess(name === "mosquitto" ? "mosquitto" : "wrenmq", port, child, logPath, argv);
  broker.name = name;
  await broker.ready();
  return broker;
}

/** The gateway's flash counters and broker counters (null for mosquitto). */
function brokerStats(broker) {
  if (broker.name === "mosquitto") return Promise.resolve(null);
  return new Promise((resolve) => {
    broker.child.once("message", resolve);
    broker.child.send("stats");
  });
}

let clientNumber = 0;
const CLOCK_TICKS = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout.trim()) || 100;

/** System CPU time (in the kernel: system calls such as write and fdatasync) process `pid` has used, in ms. */
function systemMsOf(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return (Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[12]) * 1000) / CLOCK_TICKS;
}

async function mqttConnect(port, options) {
  const { default: mqtt } = await import("mqtt");
  return new Promise((resolve, reject) => {
    const client = mqtt.connect({ host: "127.0.0.1", port, protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 10000, keepalive: 60, ...options });
    client.once("connect", (connack) => {
      client.stream.setNoDelay?.(true);
      client.removeListener("error", reject);
      client.on("error", () => {});
      resolve(client);
    });
    client.once("error", reject);
  });
}

const endClient = (client) => new Promise((resolve) => client.end(false, {}, resolve));

/**
 * One QoS 1 run against `broker`: a persistent subscriber (clean session 0) online, a publisher
 * keeping `window` publishes unacknowledged. `latency`: record publish() -> callback per message.
 * Every message carries its sequence number; the subscriber counts each once.
 */
async function qos1Run(broker, { count, window, capMs, stallMs, latency = false, warmup = 0 }) {
  const run = ++clientNumber;
  const topic = `${TOPIC}/${run}`; // sessions of earlier runs never match
  const subscriberId = `store-bench-sub-${process.pid}-${run}`;
  const sub = await mqttConnect(broker.port, { clientId: subscriberId, clean: false });
  await new Promise((resolve, reject) => sub.subscribe(topic, { qos: 1 }, (error, granted) =>
    (error || granted[0]?.qos !== 1 ? reject(error ?? new Error(`SUBACK granted ${granted[0]?.qos}`)) : resolve())));
  const pub = await mqttConnect(broker.port, { clientId: `store-bench-pub-${process.pid}-${run}`, clean: true });
  const seen = new Uint8Array(count);
  let delivered = 0;
  let duplicates = 0;
  let lastAt = 0;
  sub.on("message", (t, payload) => {
    const sequence = payload.readUInt32LE(0);
    if (sequence < count && seen[sequence] === 0) {
      seen[sequence] = 1;
      delivered++;
      lastAt = performance.now();
    } else duplicates++;
  });
  const samples = latency ? new Float64Array(count).fill(NaN) : null;
  const errors = [];
  let sent = 0;
  let acked = 0;
  let inFlight = 0;
  let target = count;
  let capped = false;
  const statsBefore = await brokerStats(broker);
  const cpuBefore = cpuMsOf(broker.pid);
  const systemBefore = systemMsOf(broker.pid);
  const generatorBefore = process.cpuUsage();
  const startedAt = performance.now();
  const outcome = await new Promise((resolve) => {
    let progressAt = startedAt;
    let progressSeen = 0;
    const publish = () => {
      while (inFlight < window && sent < target) {
        const sequence = sent++;
        inFlight++;
        const payload = Buffer.alloc(PAYLOAD_SIZE);
        payload.writeUInt32LE(sequence, 0);
        const at = performance.now();
        pub.publish(topic, payload, { qos: 1 }, (error) => {
          const now = performance.now();
          if (error) errors.push(error.message);
          if (samples) samples[sequence] = (now - at) * 1000;
          inFlight--;
          acked++;
          lastAt = Math.max(lastAt, now);
          publish();
        });
      }
    };
    const check = setInterval(() => {
      const now = performance.now();
      if (!capped && now - startedAt > capMs && sent < target) {
        capped = true;
        target = sent;
      }
      if (acked + delivered !== progressSeen) {
        progressSeen = acked + delivered;
        progressAt = now;
      }
      if (acked >= target && delivered >= target) finish("complete");
      else if (now - progressAt > stallMs) finish("stalled");
    }, 5);
    const finish = (how) => {
      clearInterval(check);
      resolve(how);
    };
    publish();
  });
  const wallMs = performance.now() - startedAt;
  const brokerCpuMs = cpuMsOf(broker.pid) - cpuBefore;
  const brokerSystemMs = systemMsOf(broker.pid) - systemBefore;
  const generator = process.cpuUsage(generatorBefore);
  const statsAfter = await brokerStats(broker);
  const elapsedMs = Math.max(lastAt - startedAt, 1e-3);
  const result = {
    broker: broker.name, count, sent: target, window, rate: (delivered * 1000) / elapsedMs, elapsedMs, delivered, acked, duplicates,
    lost: target - delivered, capped, stalled: outcome === "stalled", errors: [...new Set(errors)],
    brokerCpuUsPerMessage: (brokerCpuMs * 1000) / Math.max(delivered, 1), brokerCores: brokerCpuMs / wallMs,
    brokerSystemUsPerMessage: (brokerSystemMs * 1000) / Math.max(delivered, 1),
    clientCores: (generator.user + generator.system) / 1000 / wallMs,
  };
  if (statsAfter?.stats) {
    const before = statsBefore.stats;
    const after = statsAfter.stats;
    result.syncs = after.syncs - before.syncs;
    result.programmed = after.programmed - before.programmed;
    result.erases = after.erases - before.erases;
  }
  if (statsAfter) result.counters = statsAfter.counters;
  if (samples) {
    const counted = Array.from(samples.subarray(warmup)).filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
    const q = (p) => (counted.length ? counted[Math.min(counted.length - 1, Math.floor(p * counted.length))] : NaN);
    Object.assign(result, { p50: q(0.5), p90: q(0.9), p99: q(0.99), max: counted.length ? counted[counted.length - 1] : NaN });
  }
  await Promise.all([endClient(pub), endClient(sub)]);
  // End the persistent session, so the broker keeps nothing of this run.
  const cleaner = await mqttConnect(broker.port, { clientId: subscriberId, clean: true });
  await endClient(cleaner);
  return result;
}

async function gatewayBenchmark({ ROUNDS, SIZES, WARMUP, WINDOW, workDir, running }) {
  const brokers = [];
  for (const { name } of BROKERS) {
    const broker = await startBroker(name, workDir);
    running.add(broker);
    brokers.push(broker);
  }
  const rows = [
    { key: "qos1", run: (broker, count) => qos1Run(broker, { count, window: WINDOW, capMs: SIZES.capMs, stallMs: SIZES.stallMs }) },
    { key: "latency", run: (broker, count) => qos1Run(broker, { count, window: 1, capMs: SIZES.capMs, stallMs: SIZES.stallMs, latency: true,
      warmup: Math.round(count / 10) }) },
  ];
  progress("gateway: warm-up round (discarded)");
  for (const broker of brokers) for (const row of rows) await row.run(broker, WARMUP[row.key]);
  const results = Object.fromEntries(BROKERS.map(({ name }) => [name, { qos1: [], latency: [] }]));
  const fsync = [];
  for (let round = 0; round < ROUNDS; round++) {
    progress(`gateway: round ${round + 1}/${ROUNDS} fdatasync alone`);
    fsync.push(fsyncCost(workDir, SIZES.fsync));
    for (const row of rows) {
      const order = brokers.map((_, i) => brokers[(i + round) % brokers.length]);
      for (const broker of order) {
        progress(`gateway: round ${round + 1}/${ROUNDS} ${row.key} ${broker.name}`);
        results[broker.name][row.key].push(await row.run(broker, SIZES[row.key]));
        if (broker.exited) throw new Error(`${broker.name} exited during ${row.key}: ${broker.log()}`);
      }
    }
  }
  const info = {};
  for (const broker of brokers) {
    info[broker.name] = { command: broker.command, rssKb: broker.rssKb() };
    const exit = await broker.stop();
    running.delete(broker);
    if (exit.code !== 0 && !(broker.name === "mosquitto" && exit.code === null)) {
      console.log(`\n${broker.name} exited with ${JSON.stringify(exit)} on SIGTERM; log: ${broker.log()}`);
    }
  }
  if (PROFILE_DIR) {
    const { profileTop } = await import("./profile_top.mjs");
    for (const file of readdirSync(PROFILE_DIR).filter((f) => f.startsWith("gateway-") && f.endsWith(".cpuprofile"))) {
      console.log(`\n${file} (WASM functions unnamed):`);
      console.log(profileTop(join(PROFILE_DIR, file), 15));
    }
  }
  return { results, fsync, info, flash: gatewayFlash("<tmp>") };
}

/**
 * What one durable write costs on os.tmpdir()'s filesystem, with no broker: `count` times, a
 * 180-byte pwrite (one message's records) at the next offset of a 4 MB file, then fdatasync.
 */
function fsyncCost(workDir, count) {
  const path = join(workDir, "fsync-probe");
  const fd = openSync(path, "w+");
  const record = Buffer.alloc(180, 0x5a);
  writeSync(fd, Buffer.alloc(4 << 20, 0xff), 0, 4 << 20, 0);
  fdatasyncSync(fd);
  const writeUs = [];
  const syncUs = [];
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    writeSync(fd, record, 0, record.length, (i * 180) % ((4 << 20) - 180));
    const t1 = performance.now();
    fdatasyncSync(fd);
    const t2 = performance.now();
    writeUs.push((t1 - t0) * 1000);
    syncUs.push((t2 - t1) * 1000);
  }
  closeSync(fd);
  rmSync(path);
  const q = (values, p) => values.sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(p * values.length))];
  return { count, pwriteP50: q(writeUs, 0.5), syncP50: q(syncUs, 0.5), syncP99: q(syncUs, 0.99) };
}

function reportGateway({ results, fsync, flash }, { SIZES, WINDOW, filesystem }) {
  const names = BROKERS.map(({ name }) => name);
  const pick = (name, key, f) => median(results[name][key].map(f));
  console.log(`\n### Part B — the gateway over TCP (127.0.0.1), QoS 1, MQTT.js 3.1.1 clients, 64-byte payloads`);
  console.log(`\nThroughput: ${formatRate(SIZES.qos1)} messages per run, publisher window ${WINDOW}; latency: window 1, ` +
    `${SIZES.latency} messages per run (first 10% not counted). Persistent subscriber online. ` +
    `Store on: a ${(flash.sectorSize * flash.sectorCount) >> 20} MB flash file (${flash.sectorCount} sectors of ${flash.sectorSize >> 10} KB) ` +
    `in os.tmpdir(), on ${filesystem.type} (${filesystem.source}). mosquitto acknowledges before it writes (persistence true saves ` +
    `every autosave_interval and at exit).`);
  const lines = [];
  const figure = (label, key, f, show, { ratios = true } = {}) => {
    const values = names.map((name) => pick(name, key, f));
    lines.push([label, ...values.map(show), ratios ? formatRatio(values[1] / values[0]) : "", ratios ? formatRatio(values[1] / values[2]) : ""]);
  };
  figure(`QoS 1 msg/s, window ${WINDOW}`, "qos1", (r) => r.rate, formatRate);
  figure("PUBACK latency p50 µs, window 1 (lower is better)", "latency", (r) => r.p50, (v) => formatNumber(v, 0));
  figure("PUBACK latency p99 µs, window 1 (lower is better)", "latency", (r) => r.p99, (v) => formatNumber(v, 0));
  figure("QoS 1 msg/s, window 1", "latency", (r) => r.rate, formatRate);
  figure(`broker CPU µs per message, window ${WINDOW} (lower is better)`, "qos1", (r) => r.brokerCpuUsPerMessage, (v) => formatNumber(v, 1));
  figure("broker CPU µs per message, window 1 (lower is better)", "latency", (r) => r.brokerCpuUsPerMessage, (v) => formatNumber(v, 1));
  figure(`  of which in the kernel (system time), window ${WINDOW}`, "qos1", (r) => r.brokerSystemUsPerMessage, (v) => formatNumber(v, 1), { ratios: false });
  figure(`fdatasync calls per message, window ${WINDOW}`, "qos1", (r) => (r.syncs ?? NaN) / r.delivered, (v) => formatNumber(v, 3), { ratios: false });
  figure("fdatasync calls per message, window 1", "latency", (r) => (r.syncs ?? NaN) / r.delivered, (v) => formatNumber(v, 3), { ratios: false });
  figure(`bytes programmed per message, window ${WINDOW}`, "qos1", (r) => (r.programmed ?? NaN) / r.delivered, (v) => formatNumber(v, 1), { ratios: false });
  figure(`erases per 1,000 messages, window ${WINDOW}`, "qos1", (r) => ((r.erases ?? NaN) * 1000) / r.delivered, (v) => formatNumber(v, 2), { ratios: false });
  console.log("");
  table(["", ...BROKERS.map(({ label }) => label), "on / off", "on / mosquitto"], lines);

  console.log(`\nfdatasync alone on ${filesystem.type} (${filesystem.source}), no broker: a 180-byte pwrite then fdatasync, ` +
    `${SIZES.fsync} times per round: fdatasync p50 ${formatNumber(median(fsync.map((f) => f.syncP50)), 0)} µs, ` +
    `p99 ${formatNumber(median(fsync.map((f) => f.syncP99)), 0)} µs; the pwrite p50 ${formatNumber(median(fsync.map((f) => f.pwriteP50)), 1)} µs.`);
  console.log("\nDelivery check (sums over all rounds):");
  const problems = [];
  const checks = [];
  for (const key of ["qos1", "latency"]) {
    checks.push([key === "qos1" ? `window ${WINDOW}` : "window 1", ...names.map((name) => {
      const runs = results[name][key];
      const sum = (f) => runs.reduce((total, r) => total + f(r), 0);
      const lost = sum((r) => r.lost);
      const duplicates = sum((r) => r.duplicates);
      const unacked = sum((r) => r.sent - r.acked);
      const stalled = runs.filter((r) => r.stalled).length;
      const capped = runs.filter((r) => r.capped).length;
      const store = sum((r) => (r.counters ? r.counters.storeFull + r.counters.storeFailed : 0));
      const errors = [...new Set(runs.flatMap((r) => r.errors))];
      if (lost || duplicates || unacked || stalled || store || errors.length) {
        problems.push(`${name} ${key}: lost ${lost}, duplicated ${duplicates}, unacknowledged ${unacked}, stalled ${stalled}, store refusals ${store}${errors.length ? `, errors: ${errors.join("; ")}` : ""}`);
      }
      return `${lost} lost, ${duplicates} dup, ${unacked} unacked${stalled ? `, ${stalled} stalled` : ""}${capped ? `, ${capped} capped` : ""}`;
    })]);
  }
  table(["", ...names], checks);
  if (problems.length) {
    console.log("\nPROBLEMS:");
    for (const problem of problems) console.log(`  - ${problem}`);
  }
  console.log("\nCores used during the runs, broker / MQTT.js clients (this process), medians:");
  const cores = (key) => names.map((name) => `${formatNumber(pick(name, key, (r) => r.brokerCores), 2)} / ${formatNumber(pick(name, key, (r) => r.clientCores), 2)}`);
  table(["", ...names], [[`window ${WINDOW}`, ...cores("qos1")], ["window 1", ...cores("latency")]]);
}

// ==== entry ========================================================================================

if (process.argv[2] === "--gateway") {
  await gatewayChild(JSON.parse(process.argv[3]));
} else {
  await benchmark();
}
