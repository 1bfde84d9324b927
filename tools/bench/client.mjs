#!/usr/bin/env node
// Client benchmark: our MQTT client on the Node host (tools/client/host.mjs, the WASM build),
// MQTT.js 5.16.0 and Debian's mosquitto 2.0.11 command-line clients side by side in one run,
// through one Debian mosquitto broker started on 127.0.0.1 and a free port (configured as in the
// broker benchmark, tools/bench/brokers.mjs, so that its limits are not what is measured).
//
//   node tools/bench/client.mjs                  full run: medians of 5 rounds (~2 min on 2 cores)
//   BENCH_QUICK=1 node tools/bench/client.mjs    smoke run: small counts, 1 round (~15 s); its CPU
//                                                figures are coarse (/proc counts 10 ms ticks)
//
// What is measured:
//  1. Publishes per second from ONE client at QoS 0, 1 and 2: 64-byte payloads to one topic,
//     each publisher a fresh process (tools/bench/client_child.mjs for the Node clients;
//     `mosquitto_pub -l -M <window> --nodelay` reading one message per line), at most
//     BENCH_WINDOW messages unsettled. End to end for every client alike: the clock runs from
//     the first to the last delivery at one subscriber (this process, raw socket, QoS 0
//     subscription), and the publisher must also report every message acknowledged (QoS 1/2).
//  2. RSS of one connected idle client, each in a fresh process: our client host, MQTT.js,
//     mosquitto_sub, and the Node floor (the same Node child with one socket that sent a CONNECT).
//     The publisher's CPU time per message (all threads, first to last delivery) is reported
//     beside the rate: it is the client's own cost, and a busy machine disturbs it less.
//  3. Code size: the client-only WASM size build and the Espruino bundle, bytes and gzip -9;
//     MQTT.js's browser bundle for reference.
// Medians of BENCH_ROUNDS rounds; clients interleaved within each round in a rotating order,
// after one discarded warm-up round of small counts. Every run is bounded (count, time cap,
// stall limit; see client_runs.mjs). CPU of the publisher, the broker and the subscriber is
// printed for each row, so that what limits it is visible.
//
// Environment:
//   BENCH_ROUNDS=5        rounds (medians)
//   BENCH_QUICK=1         small counts, 1 round unless BENCH_ROUNDS is set
//   BENCH_CLIENTS=wrenmq,mqttjs,mosquitto   (wrenmq-js: our client's Espruino bundle under Node)
//   BENCH_ONLY=qos0,qos1,qos2,idle,size     a subset of the measurements
//   BENCH_WINDOW=100      messages unsettled per publisher (our host's inflightCountMax is 100)
//   BENCH_PROFILE=<dir>   run the Node publishers under `node --cpu-prof` and print their top
//                         functions (WASM functions named from a --debug build of the same source)
//   BENCH_JSON=<file>     where to write every round's figures (default build/bench/client.json)
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { BrokerProcess, makeWorkDir, removeWorkDir } from "./brokers.mjs";
import { MOSQUITTO_PUB, MOSQUITTO_SUB, children, codeSizes, idleRss, publishRate } from "./client_runs.mjs";
import { formatNumber, formatRate, formatRatio, median, progress, table } from "./report.mjs";

const ROOT = new URL("../../", import.meta.url).pathname;
const env = process.env;
const QUICK = env.BENCH_QUICK === "1";
const ROUNDS = Number(env.BENCH_ROUNDS ?? (QUICK ? 1 : 5));
const CLIENTS = (env.BENCH_CLIENTS ?? "wrenmq,mqttjs,mosquitto").split(",");
const ALL = ["qos0", "qos1", "qos2", "idle", "size"];
const ONLY = new Set(env.BENCH_ONLY ? env.BENCH_ONLY.split(",") : ALL);
const WINDOW = Number(env.BENCH_WINDOW ?? 100);
const PROFILE_DIR = env.BENCH_PROFILE ?? null;
const JSON_PATH = env.BENCH_JSON ?? join(ROOT, "build/bench/client.json");

const SIZES = QUICK
  ? { qos0: 10000, qos1: 5000, qos2: 3000, capMs: 5000, settleMs: 300 }
  : { qos0: 100000, qos1: 50000, qos2: 30000, capMs: 20000, settleMs: 1000 };
const WARMUP = { qos0: 3000, qos1: 2000, qos2: 1000 };

const NAMES = { wrenmq: "wrenmq", "wrenmq-js": "wrenmq (JS build)", mqttjs: "MQTT.js", mosquitto: "mosquitto" };
/** What each client is in each measurement. */
const TOOLS = {
  wrenmq: "ClientHost (tools/client/host.mjs), WASM build",
  "wrenmq-js": "ClientHost, Espruino bundle under Node",
  mqttjs: "MQTT.js 5.16.0, setNoDelay(true)",
  mosquitto: "mosquitto_pub -l -M <window> --nodelay / mosquitto_sub -d",
};
const QOS_ROWS = [0, 1, 2].map((qos) => ({ key: `qos${qos}`, qos, label: `QoS ${qos} publishes/s, end to end` }));

/** The builds whose size is reported, and MQTT.js's browser bundle for reference. */
const SIZE_FILES = [
  ["wrenmq client, WASM size build (-Oz)", "build/wasm/wrenmq-client.small.wasm"],
  ["wrenmq client, WASM host build (-O3)", "build/wasm/wrenmq-client.wasm"],
  ["wrenmq client, Espruino bundle (minified)", "build/espruino/wrenmq-client.js"],
  ["MQTT.js 5.16.0 browser bundle (dist/mqtt.min.js), for reference", "node_modules/mqtt/dist/mqtt.min.js"],
];
/** The aim for the client-only size build, in bytes. */
const SMALL_WASM_AIM = 16 * 1024;

const workDir = makeWorkDir();
let broker = null;
let stopping = false;

async function main() {
  const started = Date.now();
  ensureClientBuilt();
  for (const tool of [MOSQUITTO_PUB, MOSQUITTO_SUB]) {
    if (CLIENTS.includes("mosquitto") && !existsSync(tool)) throw new Error(`${tool} missing: run make setup (Debian package mosquitto-clients)`);
  }
  console.log(`client benchmark: ${CLIENTS.join(", ")}; ${ROUNDS} round(s)${QUICK ? " (quick)" : ""}; window ${WINDOW}; ` +
    `${PAYLOAD_NOTE}; node ${process.version}`);

  const results = Object.fromEntries([...CLIENTS, "bare"].map((name) => [name, {}]));
  const rows = QOS_ROWS.filter((row) => ONLY.has(row.key));
  if (rows.length > 0 || ONLY.has("idle")) {
    broker = await BrokerProcess.start("mosquitto", { workDir });
  }
  if (rows.length > 0) {
    progress("warm-up round (discarded)");
    for (const row of rows) {
      for (const client of CLIENTS) await publish(client, row.qos, WARMUP[row.key], false);
    }
    for (let round = 0; round < ROUNDS; round++) {
      for (const row of rows) {
        const order = CLIENTS.map((_, i) => CLIENTS[(i + round) % CLIENTS.length]);
        for (const client of order) {
          progress(`round ${round + 1}/${ROUNDS} ${row.key} ${client}`);
          (results[client][row.key] ??= []).push(await publish(client, row.qos, SIZES[row.key], true));
        }
      }
    }
  }
  if (ONLY.has("idle")) {
    const kinds = [...CLIENTS, "bare"];
    for (let round = 0; round < ROUNDS; round++) {
      for (let i = 0; i < kinds.length; i++) {
        const kind = kinds[(i + round) % kinds.length];
        progress(`round ${round + 1}/${ROUNDS} idle ${kind}`);
        (results[kind].idle ??= []).push(await idleRss(broker, { client: kind, settleMs: SIZES.settleMs }));
      }
    }
  }
  if (broker) {
    if (broker.exited) throw new Error(`mosquitto exited during the run: ${broker.log()}`);
    await broker.stop();
    broker = null;
  }
  const sizes = ONLY.has("size") ? codeSizes(SIZE_FILES) : [];
  progress("");
  report(results, sizes, (Date.now() - started) / 1000);
  mkdirSync(dirname(JSON_PATH), { recursive: true });
  writeFileSync(JSON_PATH, JSON.stringify({ date: new Date().toISOString(), node: process.version, rounds: ROUNDS, quick: QUICK,
    window: WINDOW, sizes: SIZES, tools: TOOLS, results, codeSizes: sizes }, null, 1));
  console.log(`\nevery round's figures: ${JSON_PATH.replace(ROOT, "")}`);
  if (PROFILE_DIR) await printProfiles();
}

const PAYLOAD_NOTE = "64-byte payloads, topic bench/t, MQTT 3.1.1";

/** One publisher run; `measured` runs are the ones a profile is kept for. */
async function publish(client, qos, count, measured) {
  const nodeFlags = PROFILE_DIR && measured && client !== "mosquitto"
    ? ["--cpu-prof", `--cpu-prof-dir=${join(PROFILE_DIR, `${client}-qos${qos}`)}`] : [];
  const result = await publishRate(broker, { client, qos, count, window: WINDOW, capMs: SIZES.capMs, workDir, nodeFlags });
  if (broker.exited) throw new Error(`mosquitto exited during ${client} QoS ${qos}: ${broker.log()}`);
  return result;
}

/** Builds the client if it is missing (`make build`). */
function ensureClientBuilt() {
  const missing = ["build/wasm/wrenmq-client.wasm", "build/wasm/wrenmq-client.small.wasm", "build/espruino/wrenmq-client.js"]
    .filter((path) => !existsSync(join(ROOT, path)));
  if (missing.length === 0) return;
  console.log(`${missing.join(", ")} missing: running make build`);
  const result = spawnSync("make", ["build"], { cwd: ROOT, stdio: "inherit" });
  if (result.status !== 0) throw new Error("make build failed");
}

// ---- the report ----------------------------------------------------------------------------------

function report(results, sizes, seconds) {
  const others = CLIENTS.filter((name) => name !== "wrenmq");
  const ours = CLIENTS.includes("wrenmq");
  const figure = (name, key, pick) => median((results[name]?.[key] ?? []).map(pick));
  const ratios = (values) => (ours ? others.map((other) => formatRatio(values.wrenmq / values[other])) : []);
  const header = ["", ...CLIENTS.map((name) => NAMES[name]), ...(ours ? others.map((other) => `wrenmq/${NAMES[other]}`) : [])];
  console.log(`\n## Client benchmark — ${new Date().toISOString().slice(0, 10)}, medians of ${ROUNDS} round(s), ${seconds.toFixed(0)} s`);
  console.log(`\n${PAYLOAD_NOTE}; at most ${WINDOW} messages unsettled per publisher; broker: mosquitto 2.0.11 on 127.0.0.1.`);
  for (const name of CLIENTS) console.log(`- ${NAMES[name]}: ${TOOLS[name]}`);

  const lines = [];
  for (const row of QOS_ROWS.filter((r) => ONLY.has(r.key))) {
    const values = Object.fromEntries(CLIENTS.map((name) => [name, figure(name, row.key, (r) => r.rate)]));
    lines.push([row.label, ...CLIENTS.map((name) => formatRate(values[name])), ...ratios(values)]);
  }
  for (const row of QOS_ROWS.filter((r) => ONLY.has(r.key))) {
    const values = Object.fromEntries(CLIENTS.map((name) => [name, figure(name, row.key, (r) => r.publisherCpuUsPerMessage)]));
    lines.push([`QoS ${row.qos} publisher CPU µs per message (lower is better)`, ...CLIENTS.map((name) => formatNumber(values[name])), ...ratios(values)]);
  }
  if (ONLY.has("idle")) {
    const rss = Object.fromEntries([...CLIENTS, "bare"].map((name) => [name, figure(name, "idle", (r) => r.rssKb)]));
    const toolName = (name) => (name === "mosquitto" ? " (mosquitto_sub)" : "");
    lines.push([`RSS KB, one idle connected client (lower is better)`,
      ...CLIENTS.map((name) => `${formatNumber(rss[name], 0)}${toolName(name)}`), ...ratios(rss)]);
    const over = Object.fromEntries(CLIENTS.map((name) => [name, name === "mosquitto" ? NaN : rss[name] - rss.bare]));
    lines.push([`RSS KB over bare Node with one socket (${formatNumber(rss.bare, 0)} KB)`,
      ...CLIENTS.map((name) => (name === "mosquitto" ? "not Node" : formatNumber(over[name], 0))),
      ...(ours ? others.map((other) => (other === "mosquitto" ? "" : formatRatio(over.wrenmq / over[other]))) : [])]);
  }
  if (lines.length) {
    console.log("");
    table(header, lines);
  }

  // Delivery and acknowledgement check, summed over the rounds.
  const problems = [];
  const checkLines = [];
  for (const row of QOS_ROWS.filter((r) => ONLY.has(r.key))) {
    checkLines.push([`QoS ${row.qos}`, ...CLIENTS.map((name) => {
      const runs = results[name]?.[row.key] ?? [];
      const lost = runs.reduce((sum, r) => sum + r.lost, 0);
      const duplicates = runs.reduce((sum, r) => sum + r.duplicates, 0);
      const unacknowledged = runs.filter((r) => !r.acknowledged).length;
      const errors = [...new Set(runs.flatMap((r) => r.errors))];
      if (lost || duplicates || unacknowledged || errors.length) {
        problems.push(`${NAMES[name]} QoS ${row.qos}: lost ${lost}, duplicated ${duplicates}, runs not fully acknowledged ${unacknowledged}` +
          `${errors.length ? `; ${errors.join("; ")}` : ""}`);
      }
      return `${lost} lost, ${duplicates} dup${unacknowledged ? `, ${unacknowledged} not acked` : ""}`;
    })]);
  }
  if (ONLY.has("idle")) {
    for (const name of [...CLIENTS, "bare"]) {
      const errors = [...new Set((results[name]?.idle ?? []).flatMap((r) => r.errors))];
      if (errors.length) problems.push(`${name} idle: ${errors.join("; ")}`);
    }
  }
  if (checkLines.length) {
    console.log("\nDelivery check (sums over all rounds; lost = published − unique delivered):");
    table(["", ...CLIENTS.map((name) => NAMES[name])], checkLines);
  }
  if (problems.length) {
    console.log("\nPROBLEMS:");
    for (const problem of problems) console.log(`  - ${problem}`);
  }

  if (checkLines.length) {
    console.log("\nCPU during the run, cores (medians): publisher / broker / subscriber; 2 cores in all:");
    table(["", ...CLIENTS.map((name) => NAMES[name])], QOS_ROWS.filter((r) => ONLY.has(r.key)).map((row) => [`QoS ${row.qos}`,
      ...CLIENTS.map((name) => ["publisherCpu", "brokerCpu", "subscriberCpu"]
        .map((key) => formatNumber(figure(name, row.key, (r) => r[key]), 2)).join(" / "))]));
    console.log("\nPublisher start to first delivery, ms (process start, module load, CONNECT; outside the clock):");
    table(["", ...CLIENTS.map((name) => NAMES[name])], QOS_ROWS.filter((r) => ONLY.has(r.key)).map((row) => [`QoS ${row.qos}`,
      ...CLIENTS.map((name) => formatNumber(figure(name, row.key, (r) => r.startToFirstMs), 0))]));
  }

  if (sizes.length) {
    console.log("\nCode size:");
    table(["build", "bytes", "gzip -9 bytes"], sizes.map((s) => [s.label, formatBytes(s.bytes), formatBytes(s.gzipBytes)]));
    const small = sizes.find((s) => s.path.endsWith("wrenmq-client.small.wasm"));
    if (small) {
      console.log(`\nClient size build ≤ ${formatBytes(SMALL_WASM_AIM)} bytes: ${small.bytes <= SMALL_WASM_AIM ? "met" : "NOT met"} ` +
        `(${formatBytes(small.bytes)}, ${formatRatio(small.bytes / SMALL_WASM_AIM)} of the aim)`);
    }
  }
}

const formatBytes = (value) => (Number.isFinite(value) ? value.toLocaleString("en-US") : "—");

async function printProfiles() {
  const { profileTop, wasmFunctionNames } = await import("./profile_top.mjs");
  // The release WASM has no name section: build the same source with --debug (names only) to name its functions.
  const named = join(workDir, "wrenmq-client.named.wasm");
  const build = spawnSync(join(ROOT, "node_modules/.bin/asc"), ["firmware/platform/wasm/client.ts", "--target", "release",
    "--transform", "./tools/build/heap_top.mjs", "--initialMemory", "1024", "--maximumMemory", "1024", "--debug", "--outFile", named],
  { cwd: ROOT, encoding: "utf8" });
  const names = build.status === 0 ? wasmFunctionNames(named, join(ROOT, "build/wasm/wrenmq-client.wasm")) : null;
  if (!existsSync(PROFILE_DIR)) return console.log(`\nno profiles in ${PROFILE_DIR}`);
  for (const directory of readdirSync(PROFILE_DIR).sort()) {
    const files = readdirSync(join(PROFILE_DIR, directory)).filter((name) => name.endsWith(".cpuprofile"))
      .map((name) => join(PROFILE_DIR, directory, name)).sort((a, b) => statSync(a).mtimeMs - statSync(b).mtimeMs);
    if (files.length === 0) continue;
    const file = files[files.length - 1];
    console.log(`\npublisher profile, ${directory}, last round (${file}):`);
    console.log(profileTop(file, 20, directory.startsWith("wrenmq-qos") ? names : null));
  }
}

async function shutdown(code) {
  if (stopping) return;
  stopping = true;
  for (const child of children) child.kill("SIGKILL");
  if (broker) await broker.stop(2000).catch(() => {});
  removeWorkDir(workDir);
  process.exit(code);
}

process.on("SIGINT", () => shutdown(130));
process.on("SIGTERM", () => shutdown(143));
process.stdout.on("error", () => shutdown(1)); // e.g. EPIPE from `| head`: still stop the broker
process.on("uncaughtException", (error) => {
  console.error(`client benchmark: ${error.stack ?? error}`);
  shutdown(1);
});
main().then(() => shutdown(0), (error) => {
  console.error(`\nclient benchmark failed: ${error.stack ?? error}`);
  return shutdown(1);
});
// Everything is bounded already; this is the last guard against a hang.
setTimeout(() => {
  console.error("client benchmark: overall time limit reached, stopping");
  shutdown(1);
}, Number(env.BENCH_TIMEOUT_S ?? 900) * 1000).unref();
