#!/usr/bin/env node
// Broker benchmark (issue 3, "Benchmark"): the wrenmq gateway, Debian's mosquitto 2.0.11 and
// aedes 1.2.0 side by side in one run, on 127.0.0.1, each its own process on a free port
// (tools/bench/brokers.mjs says how each is started and configured).
//
//   node tools/bench/broker.mjs                  full run: medians of 5 rounds (~5 min on 2 cores)
//   BENCH_QUICK=1 node tools/bench/broker.mjs    smoke run: small counts, 1 round (~15 s)
//
// What is measured (every run bounded by a message count, a time cap and a stall limit):
//  1. Throughput 1→1 at QoS 0, 1, 2, 64-byte payloads: one publisher, one subscriber, messages/s
//     delivered; every payload carries a sequence number, the subscriber counts unique,
//     duplicated and lost ones.
//  2. Fan-out 1→50 at QoS 0: deliveries/s summed over 50 subscribers of one topic.
//  3. Latency p50/p99 at a paced 10k msg/s, QoS 0: send time in the payload, arrival measured
//     at the subscriber (same process and clock).
//  4. RSS per idle connection: VmRSS of a freshly started broker before and after 1000
//     connections (CONNECT answered by CONNACK), and the same for a bare node:net server
//     (the floor every Node broker pays).
// Medians of BENCH_ROUNDS rounds; brokers are interleaved within each round, in a rotating
// order, after one discarded warm-up round of small counts.
//
// The load generator (tools/bench/runs.mjs, wire.mjs) is built not to be the bottleneck: raw
// node:net sockets; PUBLISH packets pre-encoded once (mqtt-packet template, sequence numbers
// patched in) and written in batches, one socket.write per batch; incoming bytes split by
// reading the fixed header only. Windows: at QoS 1/2 the publisher keeps at most the broker's
// CONNACK Receive Maximum (MQTT 5; capped by BENCH_INFLIGHT) unacknowledged, and at every QoS at
// most BENCH_E2E_WINDOW messages published but not yet delivered, so a broker's per-subscriber
// queue limit (wrenmq's pi-gateway profile: 500) is not what is measured (0 = open loop).
// Evidence that the generator is not the limit is printed: each run's CPU use of the broker and
// of the generator, and mosquitto's figures against the issue's.
//
// Environment:
//   BENCH_ROUNDS=5        rounds (medians)
//   BENCH_QUICK=1         small counts, 1 round unless BENCH_ROUNDS is set
//   BENCH_BROKERS=wrenmq,mosquitto,aedes
//   BENCH_ONLY=qos0,qos1,qos2,fanout,latency,idle   a subset of the measurements
//   BENCH_E2E_WINDOW=400  BENCH_INFLIGHT=1000  BENCH_LATENCY_RATE=10000  BENCH_CONNECTIONS=1000
//   BENCH_PROFILE=<dir>   run the wrenmq gateway under `node --cpu-prof` and print its top
//                         functions (WASM functions named from a --debug build of the same source)
//   BENCH_JSON=<file>     where to write every round's figures (default build/bench/broker.json)
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { BrokerProcess, ensureBuilt, fileLimits, makeWorkDir, removeWorkDir } from "./brokers.mjs";
import { idleConnections, latency, throughput } from "./runs.mjs";
import { formatNumber, formatRate, formatRatio, median, progress, table } from "./report.mjs";

const ROOT = new URL("../../", import.meta.url).pathname;
const env = process.env;
const QUICK = env.BENCH_QUICK === "1";
const ROUNDS = Number(env.BENCH_ROUNDS ?? (QUICK ? 1 : 5));
const BROKERS = (env.BENCH_BROKERS ?? "wrenmq,mosquitto,aedes").split(",");
const ALL = ["qos0", "qos1", "qos2", "fanout", "latency", "idle"];
const ONLY = new Set(env.BENCH_ONLY ? env.BENCH_ONLY.split(",") : ALL);
const E2E_WINDOW = Number(env.BENCH_E2E_WINDOW ?? 400);
const INFLIGHT = Number(env.BENCH_INFLIGHT ?? 1000);
const LATENCY_RATE = Number(env.BENCH_LATENCY_RATE ?? 10000);
const PROFILE_DIR = env.BENCH_PROFILE ?? null;
const JSON_PATH = env.BENCH_JSON ?? join(ROOT, "build/bench/broker.json");

const SIZES = QUICK
  ? { qos0: 30000, qos1: 15000, qos2: 6000, fanout: 1000, latencyMs: 1000, connections: 1000, capMs: 5000, settleMs: 300 }
  : { qos0: 300000, qos1: 150000, qos2: 60000, fanout: 20000, latencyMs: 3000, connections: 1000, capMs: 15000, settleMs: 1000 };
SIZES.connections = Number(env.BENCH_CONNECTIONS ?? SIZES.connections);
const WARMUP = { qos0: 20000, qos1: 5000, qos2: 3000, fanout: 500 };

/** The issue's reference figures for mosquitto on this machine (separate harness, medians of 5). */
const MOSQUITTO_REFERENCE = { qos0: 222000, qos1: 73000, qos2: 38000, fanout: 356000 };

/** The rows: how each is measured, which figure it reports, and the issue's target for wrenmq. */
const ROWS = [
  { key: "qos0", label: "QoS 0 1→1 msg/s", unit: "rate", better: "higher", target: { vs: "mosquitto", factor: 3 },
    run: (broker, sizes) => throughput(broker, { qos: 0, count: sizes.qos0, ...common(sizes) }) },
  { key: "qos1", label: "QoS 1 1→1 msg/s", unit: "rate", better: "higher", target: { vs: "mosquitto", factor: 3 },
    run: (broker, sizes) => throughput(broker, { qos: 1, count: sizes.qos1, ...common(sizes) }) },
  { key: "qos2", label: "QoS 2 1→1 msg/s", unit: "rate", better: "higher", target: { vs: "mosquitto", factor: 3 },
    run: (broker, sizes) => throughput(broker, { qos: 2, count: sizes.qos2, ...common(sizes) }) },
  { key: "fanout", label: "fan-out 1→50 deliveries/s", unit: "rate", better: "higher", target: { vs: "mosquitto", factor: 5 },
    run: (broker, sizes) => throughput(broker, { qos: 0, count: sizes.fanout, subscribers: 50, ...common(sizes) }) },
  { key: "latency", label: `latency @${LATENCY_RATE / 1000}k msg/s`, unit: "latency", better: "lower", target: { p99: 150 },
    run: (broker, sizes) => latency(broker, {
      rate: LATENCY_RATE, count: Math.round((LATENCY_RATE * sizes.latencyMs) / 1000), warmup: Math.round(LATENCY_RATE / 10),
    }) },
];
const common = (sizes) => ({ inflight: INFLIGHT, e2eWindow: E2E_WINDOW, capMs: sizes.capMs });

const workDir = makeWorkDir();
const running = new Set();
let stopping = false;

async function main() {
  const started = Date.now();
  ensureBuilt();
  const limits = fileLimits();
  const notes = [];
  if (ONLY.has("idle") && limits.soft < SIZES.connections + 100) {
    const connections = Math.max(100, limits.soft - 100);
    notes.push(`ulimit -n is ${limits.soft} in this process (hard ${limits.hard}): idle connections cut from ${SIZES.connections} to ${connections}; run under \`ulimit -n 4096\` for the full count`);
    SIZES.connections = connections;
  }
  console.log(`broker benchmark: ${BROKERS.join(", ")}; ${ROUNDS} round(s)${QUICK ? " (quick)" : ""}; ` +
    `e2e window ${E2E_WINDOW || "none"}, inflight cap ${INFLIGHT}; node ${process.version}; ulimit -n ${limits.soft}`);

  const results = Object.fromEntries(BROKERS.map((name) => [name, {}]));
  const rows = ROWS.filter((row) => ONLY.has(row.key));
  const info = {};
  if (rows.length > 0) {
    const brokers = [];
    for (const kind of BROKERS) {
      const broker = await start(kind, PROFILE_DIR && kind === "wrenmq" ? ["--cpu-prof", `--cpu-prof-dir=${PROFILE_DIR}`] : []);
      brokers.push(broker);
      info[kind] = { command: broker.command, protocol: broker.version };
    }
    progress("warm-up round (discarded)");
    for (const broker of brokers) {
      for (const row of rows.filter((r) => r.key in WARMUP)) await row.run(broker, { ...SIZES, ...WARMUP, fanout: WARMUP.fanout });
    }
    for (let round = 0; round < ROUNDS; round++) {
      for (const row of rows) {
        const order = brokers.map((_, i) => brokers[(i + round) % brokers.length]);
        for (const broker of order) {
          progress(`round ${round + 1}/${ROUNDS} ${row.key} ${broker.kind}`);
          const result = await row.run(broker, SIZES);
          (results[broker.kind][row.key] ??= []).push(result);
          if (result.ackWindow) info[broker.kind].ackWindow = result.ackWindow;
          if (broker.exited) throw new Error(`${broker.kind} exited during ${row.key}: ${broker.log()}`);
        }
      }
    }
    for (const broker of brokers) await stop(broker);
  }
  if (ONLY.has("idle")) {
    for (const name of [...BROKERS, "bare"]) results[name] ??= {};
    for (let round = 0; round < ROUNDS; round++) {
      for (const kind of [...BROKERS, "bare"]) {
        progress(`round ${round + 1}/${ROUNDS} idle ${kind}`);
        const broker = await start(kind);
        (results[kind].idle ??= []).push(await idleConnections(broker, { connections: SIZES.connections, settleMs: SIZES.settleMs }));
        await stop(broker);
      }
    }
  }
  progress("");
  report(results, info, notes, (Date.now() - started) / 1000);
  mkdirSync(dirname(JSON_PATH), { recursive: true });
  writeFileSync(JSON_PATH, JSON.stringify({ date: new Date().toISOString(), node: process.version, rounds: ROUNDS, quick: QUICK,
    e2eWindow: E2E_WINDOW, inflight: INFLIGHT, sizes: SIZES, info, results }, null, 1));
  console.log(`\nevery round's figures: ${JSON_PATH.replace(ROOT, "")}`);
  if (PROFILE_DIR) await printProfile();
}

async function start(kind, nodeFlags = []) {
  const broker = await BrokerProcess.start(kind, { workDir, nodeFlags });
  running.add(broker);
  return broker;
}

async function stop(broker) {
  const exit = await broker.stop();
  running.delete(broker);
  if (exit.code !== 0 && !(broker.kind === "mosquitto" && exit.code === null)) {
    console.log(`\n${broker.kind} exited with ${JSON.stringify(exit)} on SIGTERM; log: ${broker.log()}`);
  }
}

// ---- the report ----------------------------------------------------------------------------------

function report(results, info, notes, seconds) {
  const names = BROKERS;
  const others = names.filter((name) => name !== "wrenmq");
  const figure = (name, key, pick) => median((results[name]?.[key] ?? []).map(pick));
  console.log(`\n## Broker benchmark — ${new Date().toISOString().slice(0, 10)}, medians of ${ROUNDS} round(s), ${seconds.toFixed(0)} s`);
  console.log(`\n${names.map((name) => `${name}: MQTT ${info[name]?.protocol === 5 ? "5.0" : "3.1.1"}${info[name]?.ackWindow ? `, QoS 1/2 publisher window ${info[name].ackWindow}` : ""}`).join("; ")}.`);
  for (const note of notes) console.log(`NOTE: ${note}`);

  const lines = [];
  const verdicts = [];
  for (const row of ROWS.filter((r) => ONLY.has(r.key))) {
    const picks = row.unit === "rate" ? [["", (r) => r.rate]] : [[" p50 µs", (r) => r.p50], [" p99 µs", (r) => r.p99]];
    for (const [suffix, pick] of picks) {
      const values = Object.fromEntries(names.map((name) => [name, figure(name, row.key, pick)]));
      const show = row.unit === "rate" ? formatRate : (v) => formatNumber(v, 0);
      let target = "";
      if (row.target.vs && values.wrenmq !== undefined) {
        const ratio = values.wrenmq / values[row.target.vs];
        target = `≥ ${row.target.factor}× ${row.target.vs}: ${ratio >= row.target.factor ? "met" : "NOT met"}`;
        verdicts.push(`${row.label}: ${target} (${formatRatio(ratio)})`);
      } else if (row.target.p99 && suffix.includes("p99") && values.wrenmq !== undefined) {
        target = `≤ ${row.target.p99} µs: ${values.wrenmq <= row.target.p99 ? "met" : "NOT met"}`;
        verdicts.push(`latency p99: ${target} (${formatNumber(values.wrenmq, 0)} µs)`);
      }
      lines.push([`${row.label}${suffix}${row.better === "lower" ? " (lower is better)" : ""}`,
        ...names.map((name) => show(values[name])),
        ...(names.includes("wrenmq") ? others.map((other) => formatRatio(values.wrenmq / values[other])) : []), target]);
    }
  }
  if (ONLY.has("idle")) {
    const kb = (name) => figure(name, "idle", (r) => r.perConnectionKb);
    const floor = kb("bare");
    const target = names.includes("wrenmq") ? `≤ 1.2× node:net floor (${formatNumber(floor)} KB): ${kb("wrenmq") <= 1.2 * floor ? "met" : "NOT met"} (${formatRatio(kb("wrenmq") / floor)})` : "";
    if (target) verdicts.push(`RSS per idle connection: ${target}`);
    lines.push([`RSS KB per idle connection (${SIZES.connections}; lower is better)`, ...names.map((name) => formatNumber(kb(name))),
      ...(names.includes("wrenmq") ? others.map((other) => formatRatio(kb("wrenmq") / kb(other))) : []), target]);
  }
  console.log("");
  table(["", ...names, ...(names.includes("wrenmq") ? others.map((other) => `wrenmq/${other}`) : []), "issue target for wrenmq"], lines);

  // Loss, duplicates and errors: summed over the rounds.
  console.log("\nDelivery check (sums over all rounds; lost = published − unique delivered, per subscriber):");
  const checkLines = [];
  const problems = [];
  for (const row of ROWS.filter((r) => ONLY.has(r.key))) {
    checkLines.push([row.label, ...names.map((name) => {
      const runs = results[name]?.[row.key] ?? [];
      const lost = runs.reduce((sum, r) => sum + r.lost, 0);
      const duplicates = runs.reduce((sum, r) => sum + r.duplicates, 0);
      const stalled = runs.filter((r) => r.stalled).length;
      const capped = runs.filter((r) => r.capped).length;
      const errors = [...new Set(runs.flatMap((r) => r.errors))];
      if (lost || duplicates || stalled || errors.length || runs.some((r) => r.unacknowledged || r.refused)) {
        problems.push(`${name} ${row.key}: lost ${lost}, duplicated ${duplicates}, stalled runs ${stalled}, ` +
          `unacknowledged ${runs.reduce((s, r) => s + (r.unacknowledged ?? 0), 0)}, refused ${runs.reduce((s, r) => s + (r.refused ?? 0), 0)}` +
          `${errors.length ? `, errors: ${errors.join("; ")}` : ""}`);
      }
      return `${lost} lost, ${duplicates} dup${stalled ? `, ${stalled} stalled` : ""}${capped ? `, ${capped} capped` : ""}${errors.length ? ", errors" : ""}`;
    })]);
  }
  if (ONLY.has("idle")) {
    checkLines.push([`idle connections (of ${SIZES.connections})`, ...names.map((name) => {
      const runs = results[name]?.idle ?? [];
      const refused = runs.reduce((sum, r) => sum + (r.connections - r.connected), 0);
      const dropped = runs.reduce((sum, r) => sum + (r.connected - r.openAtEnd), 0);
      const errors = [...new Set(runs.flatMap((r) => r.errors))];
      if (refused || dropped) problems.push(`${name} idle: ${refused} connections not accepted, ${dropped} closed while idle${errors.length ? `: ${errors.join("; ")}` : ""}`);
      return `${refused} not accepted, ${dropped} closed`;
    })]);
  }
  table(["", ...names], checkLines);
  if (problems.length) {
    console.log("\nPROBLEMS:");
    for (const problem of problems) console.log(`  - ${problem}`);
  }

  // Generator ceiling: mosquitto against the issue's figures, with who was busy.
  if (names.includes("mosquitto")) {
    console.log("\nGenerator ceiling (mosquitto here vs the issue's figures; CPU = cores used during the run, medians):");
    const ceilingLines = [];
    for (const row of ROWS.filter((r) => ONLY.has(r.key) && r.key in MOSQUITTO_REFERENCE)) {
      const measured = figure("mosquitto", row.key, (r) => r.rate);
      const reference = MOSQUITTO_REFERENCE[row.key];
      const brokerCpu = figure("mosquitto", row.key, (r) => r.brokerCpu);
      const generatorCpu = figure("mosquitto", row.key, (r) => r.generatorCpu);
      let verdict;
      if (measured >= reference) verdict = "reached: the generator drives mosquitto at least as fast as the issue's figure";
      else if (brokerCpu >= 0.9) {
        verdict = `NOT reached (${formatRatio(measured / reference)} of it): mosquitto's one thread is saturated (${formatNumber(brokerCpu, 2)} cores), so mosquitto, not the generator, sets this figure`;
        if (generatorCpu >= 0.9) verdict += "; the generator is near a core too: the 2 cores are full";
      }
      else if (generatorCpu >= 0.9) verdict = `NOT reached (${formatRatio(measured / reference)} of it): the generator is at ${formatNumber(generatorCpu, 2)} cores and may be the limit`;
      else verdict = `NOT reached (${formatRatio(measured / reference)} of it): neither process saturated (latency-bound or a busy machine)`;
      ceilingLines.push([row.label, formatRate(measured), formatRate(reference), formatNumber(brokerCpu, 2), formatNumber(generatorCpu, 2), verdict]);
    }
    table(["", "mosquitto here", "issue", "broker CPU", "generator CPU", "verdict"], ceilingLines);
  }
  console.log("\nCPU per broker (cores used during the run, medians):");
  table(["", ...names.map((name) => `${name} broker/gen`)], ROWS.filter((r) => ONLY.has(r.key)).map((row) => [row.label,
    ...names.map((name) => `${formatNumber(figure(name, row.key, (r) => r.brokerCpu), 2)} / ${formatNumber(figure(name, row.key, (r) => r.generatorCpu), 2)}`)]));
  if (verdicts.length) {
    console.log("\nIssue targets for wrenmq:");
    for (const verdict of verdicts) console.log(`  - ${verdict}`);
  }
}

async function printProfile() {
  const { profileTop, wasmFunctionNames } = await import("./profile_top.mjs");
  const files = readdirSync(PROFILE_DIR).filter((name) => name.endsWith(".cpuprofile")).map((name) => join(PROFILE_DIR, name));
  if (files.length === 0) return console.log(`\nno .cpuprofile in ${PROFILE_DIR}`);
  // The release WASM has no name section: build the same source with --debug (names only) to name its functions.
  const named = join(workDir, "wrenmq-broker.named.wasm");
  const build = spawnSync(join(ROOT, "node_modules/.bin/asc"), ["firmware/platform/wasm/broker.ts", "--target", "release",
    "--transform", "./tools/build/heap_top.mjs", "--initialMemory", "2048", "--maximumMemory", "2048", "--debug", "--outFile", named],
  { cwd: ROOT, encoding: "utf8" });
  const names = build.status === 0 ? wasmFunctionNames(named, join(ROOT, "build/wasm/wrenmq-broker.wasm")) : null;
  for (const file of files) {
    console.log(`\nwrenmq gateway profile (${file}):`);
    console.log(profileTop(file, 20, names));
  }
}

async function shutdown(code) {
  if (stopping) return;
  stopping = true;
  await Promise.all([...running].map((broker) => broker.stop(2000).catch(() => {})));
  removeWorkDir(workDir);
  process.exit(code);
}

process.on("SIGINT", () => shutdown(130));
process.stdout.on("error", () => shutdown(1)); // e.g. EPIPE from `| head`: still stop the brokers
process.on("uncaughtException", (error) => {
  console.error(`broker benchmark: ${error.stack ?? error}`);
  shutdown(1);
});
process.on("SIGTERM", () => shutdown(143));
main().then(() => shutdown(0), (error) => {
  console.error(`\nbroker benchmark failed: ${error.stack ?? error}`);
  return shutdown(1);
});
// Everything is bounded already; this is the last guard against a hang.
setTimeout(() => {
  console.error("broker benchmark: overall time limit reached, stopping");
  shutdown(1);
}, Number(env.BENCH_TIMEOUT_S ?? 1800) * 1000).unref();
