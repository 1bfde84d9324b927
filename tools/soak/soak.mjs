#!/usr/bin/env node
// The soak (make soak): the gateway serving normal clients while it is attacked, for 10 minutes,
// to show that its memory stays flat, every drop is counted, and no normal client loses anything.
//
//   node tools/soak/soak.mjs                    600 s (SOAK_SECONDS overrides: 60 for a short run)
//   SOAK_BOARD=sim node tools/soak/soak.mjs     another board profile (default pi-gateway)
//
// The gateway is a child process (tools/gateway/main.mjs, boards/pi-gateway.json, persistence in
// a flash file in a temporary directory, one MQTT and one WebSocket listener on free ports of
// 127.0.0.1, a password_file made by mosquitto_passwd, sys_interval 5), so its VmRSS is its own.
// pi-gateway is the board the Node gateway is for (1,024 connections, 256 KB packets, 128 KB of
// output per connection); the sim board (4 KB packets) runs it too, with smaller figures.
// In this process, the normal clients (MQTT.js):
//   - 20 requesters and one responder: each requester sends a request every second, at QoS 0,
//     1 and 2 in turn, and times the answer (the responder answers at the request's QoS); every
//     request must be answered, within 10 s;
//   - a QoS 1 stream, 200 messages/s, to a subscriber with a persistent session: every message
//     whose PUBACK the publisher received must reach the subscriber;
//   - a will watcher and a $SYS watcher.
// In a forked child (tools/soak/attacker.mjs), so that its loops do not delay the round trips,
// the attacks of test/support/attacks.mjs in rotation: sockets without CONNECT (idle and
// slowloris), a non-reading subscriber under a QoS 0 stream, a PINGREQ flood, WebSocket frame
// bombs, a login storm with distinct client ids, malformed packets, connect/disconnect churn with
// wills (every will owed must be published).
//
// Every 5 s: the gateway's VmRSS and CPU time, and its $SYS counters. At the end: a summary on
// stdout and in build/soak/soak.json (SOAK_JSON overrides); the exit code is 1 when a normal
// round trip went unanswered, a normal client was disconnected, an acknowledged message was lost,
// a will owed was not published, the gateway died, or its RSS grew past RSS_GROWTH_MAX_KB over
// its start or was still rising in the last half (slope of the RSS floor >= RSS_SLOPE_MAX_KB_MIN,
// judged on runs of TREND_SECONDS_MIN or more), or the attack stream's undelivered messages are
// not exactly the drops the gateway counted.
import { spawnSync, fork } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import mqtt from "mqtt";
import { gatewayStart, sleep, sysWatch } from "../../test/support/attacks.mjs";

const ROOT = new URL("../../", import.meta.url).pathname;
const SECONDS = Number(process.env.SOAK_SECONDS ?? 600);
const BOARD = process.env.SOAK_BOARD ?? "pi-gateway";
const JSON_PATH = process.env.SOAK_JSON ?? join(ROOT, "build/soak/soak.json");
const SAMPLE_MS = 5000;
const REQUESTERS = 20;
const REQUEST_INTERVAL_MS = 1000;
const ANSWER_TIMEOUT_MS = 10000;
const STREAM_INTERVAL_MS = 5; // 200 messages/s
const STREAM_WINDOW = 50; // QoS 1 messages in flight at most
/** The attacks start this long after the normal clients and stop this long before the end. */
const ATTACK_MARGIN_MS = 5000;
/** The normal clients stop sending this long before the end, then everything owed must arrive. */
const DRAIN_MS = 10000;
/**
 * RSS bounds. The first minutes grow V8's heap to its working size (the tests show +40 MB for a
 * flood of 100,000 QoS 0 messages or 5,000 logins, then flat), and every protection bounds what
 * one attack can hold; past that nothing may accumulate.
 */
const RSS_GROWTH_MAX_KB = 96 * 1024;
const RSS_SLOPE_MAX_KB_MIN = 1024;
/**
 * The trend is judged only on runs this long: V8 grows its heap to the work over the first
 * minutes (about four in the 10-minute run), so a shorter run's last half is still warming up.
 */
const TREND_SECONDS_MIN = 300;
const COUNTERS = ["dropped/congested", "dropped/queue full", "dropped/message pool full", "dropped/too large for client", "dropped/expired",
  "denied", "clients/abandoned before connect", "clients/refused", "clients/protocol errors", "messages/received", "messages/sent",
  "store/full", "store/write failures"];

const mb = (kb) => `${(kb / 1024).toFixed(1)} MB`;
const log = (line) => process.stdout.write(`${line}\n`);

/** The `fraction` percentile of sorted `values` (nearest rank). */
function percentile(sorted, fraction) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)];
}

/** Least-squares slope of y over x. */
function slope(points) {
  const n = points.length;
  if (n < 2) return NaN;
  const meanX = points.reduce((sum, [x]) => sum + x, 0) / n;
  const meanY = points.reduce((sum, [, y]) => sum + y, 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - meanX) * (y - meanY);
    den += (x - meanX) ** 2;
  }
  return den === 0 ? NaN : num / den;
}

const connect = (port, options) => mqtt.connectAsync({ host: "127.0.0.1", port, reconnectPeriod: 0, connectTimeout: 10000, keepalive: 30, ...options });

/** The 20 requesters and their responder. */
async function requestResponse(port, failures) {
  const responder = await connect(port, { clientId: "soak-responder" });
  responder.on("message", (topic, payload, packet) => {
    responder.publish(`soak/res/${topic.slice("soak/req/".length)}`, payload, { qos: packet.qos }, (error) => {
      if (error) failures.push(`responder: publish failed: ${error.message}`);
    });
  });
  await responder.subscribeAsync("soak/req/+", { qos: 2 });
  const state = { sent: 0, answered: 0, duplicates: 0, late: 0, roundTripsMs: [], byQos: [[], [], []], outstanding: new Map(), timers: [] };
  const requesters = [];
  for (let index = 0; index < REQUESTERS; index++) {
    const client = await connect(port, { clientId: `soak-req-${index}` });
    requesters.push(client);
    client.on("message", (topic, payload) => {
      const key = `${index}:${payload}`;
      const request = state.outstanding.get(key);
      if (request === undefined) {
        state.duplicates++;
        return;
      }
      state.outstanding.delete(key);
      const roundTripMs = performance.now() - request.sentAt;
      if (roundTripMs > ANSWER_TIMEOUT_MS) state.late++;
      state.answered++;
      state.roundTripsMs.push(roundTripMs);
      state.byQos[request.qos].push(roundTripMs);
    });
    await client.subscribeAsync(`soak/res/${index}`, { qos: 2 });
  }
  let sequence = 0;
  const send = (client, index) => {
    const n = sequence++;
    const qos = n % 3;
    state.outstanding.set(`${index}:${n}`, { sentAt: performance.now(), qos });
    state.sent++;
    client.publish(`soak/req/${index}`, String(n), { qos }, (error) => {
      if (error) failures.push(`requester ${index}: publish failed: ${error.message}`);
    });
  };
  return {
    state,
    clients: [responder, ...requesters],
    start() {
      requesters.forEach((client, index) => {
        const stagger = setTimeout(() => {
          state.timers.push(setInterval(() => send(client, index), REQUEST_INTERVAL_MS));
        }, (index * REQUEST_INTERVAL_MS) / REQUESTERS);
        state.timers.push(stagger);
      });
    },
    stop() {
      for (const timer of state.timers) clearInterval(timer);
    },
  };
}

/** The QoS 1 stream: a publisher (clean) and a subscriber with a persistent session. */
async function qos1Stream(port, failures) {
  const subscriber = await connect(port, { clientId: "soak-stream-sub", clean: false });
  const received = new Set();
  subscriber.on("message", (topic, payload) => received.add(Number(payload)));
  await subscriber.subscribeAsync("soak/stream", { qos: 1 });
  const publisher = await connect(port, { clientId: "soak-stream-pub" });
  const acknowledged = new Set();
  let next = 0;
  let inFlight = 0;
  let timer = null;
  return {
    clients: [subscriber, publisher],
    acknowledged,
    received,
    sent: () => next,
    start() {
      timer = setInterval(() => {
        if (inFlight >= STREAM_WINDOW) return;
        const n = next++;
        inFlight++;
        publisher.publish("soak/stream", String(n), { qos: 1 }, (error) => {
          inFlight--;
          if (error) failures.push(`stream publisher: ${n}: ${error.message}`);
          else acknowledged.add(n);
        });
      }, STREAM_INTERVAL_MS);
    },
    stop() {
      clearInterval(timer);
    },
    lost: () => [...acknowledged].filter((n) => !received.has(n)),
  };
}

async function main() {
  const started = Date.now();
  const dir = mkdtempSync(join(tmpdir(), "wrenmq-soak-"));
  chmodSync(dir, 0o755);
  const passwordFile = join(dir, "passwords");
  const made = spawnSync("mosquitto_passwd", ["-b", "-c", passwordFile, "storm", "storm-password"], { encoding: "utf8" });
  if (made.status !== 0) throw new Error(`mosquitto_passwd: ${made.stderr || made.error?.message} (make setup installs it)`);
  const gateway = await gatewayStart(dir, {
    board: BOARD, websockets: true, flash: true,
    lines: ["allow_anonymous true", `password_file ${passwordFile}`, "sys_interval 5", "connection_messages false"],
  });
  const board = JSON.parse(readFileSync(join(ROOT, "boards", `${BOARD}.json`), "utf8"));
  log(`soak: ${SECONDS} s, gateway pid ${gateway.pid} (board ${BOARD}, persistence in ${dir}), MQTT ${gateway.port}, WebSocket ${gateway.wsPort}`);

  const failures = [];
  const sys = await sysWatch(gateway.port, { clientId: "soak-sys" });
  const willTopic = "soak/wills";
  const willWatcher = await connect(gateway.port, { clientId: "soak-will-watcher" });
  const wills = new Set();
  willWatcher.on("message", (topic, payload) => wills.add(String(payload)));
  await willWatcher.subscribeAsync(willTopic, { qos: 1 });
  const rr = await requestResponse(gateway.port, failures);
  const stream = await qos1Stream(gateway.port, failures);
  const normalClients = [sys.client, willWatcher, ...rr.clients, ...stream.clients];
  let stopping = false;
  for (const client of normalClients) {
    client.on("close", () => { if (!stopping) failures.push(`normal client ${client.options.clientId} was disconnected`); });
    client.on("error", (error) => failures.push(`normal client ${client.options.clientId}: ${error.message}`));
  }
  rr.start();
  stream.start();

  // Samples: RSS, CPU and $SYS every SAMPLE_MS.
  const t0 = Date.now();
  const samples = [];
  const sample = () => {
    if (gateway.exited() !== null) return;
    samples.push({ t: (Date.now() - t0) / 1000, rssKb: gateway.rssKb(), cpuMs: gateway.cpuMs(),
      counters: Object.fromEntries(COUNTERS.map((name) => [name, sys.figure(name)])) });
  };
  sample();
  const sampler = setInterval(sample, SAMPLE_MS);

  // The attacker, in rotation until its deadline.
  const endAt = t0 + SECONDS * 1000;
  const attacker = fork(new URL("./attacker.mjs", import.meta.url).pathname, [], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const phases = [];
  const attackerDone = new Promise((resolve) => attacker.once("exit", resolve));
  attacker.on("message", (report) => {
    phases.push(report);
    const { phase, rotation, startedAt, endedAt, ...figures } = report;
    const recent = rr.state.roundTripsMs.slice(-200).sort((a, b) => a - b);
    const { cut, ...shown } = figures;
    log(`[${((endedAt ?? Date.now()) - t0) / 1000 | 0} s] rotation ${rotation} ${phase}: ${JSON.stringify({ ...shown, ...(cut ? { cut: cut.length } : {}) })}`
      + ` | RSS ${mb(samples.at(-1)?.rssKb ?? NaN)} | round trips ${rr.state.answered}/${rr.state.sent}, recent p99 ${percentile(recent, 0.99)?.toFixed(1)} ms`);
    if (figures.error) failures.push(`attack ${phase}: ${figures.error}`);
  });
  await sleep(ATTACK_MARGIN_MS);
  attacker.send({
    port: gateway.port, wsPort: gateway.wsPort, username: "storm", password: "storm-password", willTopic,
    deadlineMs: endAt - DRAIN_MS - ATTACK_MARGIN_MS, connectTimeoutMs: board.limits.connectTimeoutMs ?? 10000,
    packetSizeMax: board.limits.packetSizeMax, connectSizeMax: Math.min(board.limits.connectSizeMax ?? 16384, board.limits.packetSizeMax),
    clientIdSizeMax: board.limits.clientIdSizeMax ?? 23,
  });

  // Until the end: watch the gateway; stop the normal senders DRAIN_MS before it.
  while (Date.now() < endAt - DRAIN_MS && gateway.exited() === null) await sleep(200);
  rr.stop();
  stream.stop();
  await Promise.race([attackerDone, sleep(60000)]);
  attacker.kill("SIGKILL");
  const drainUntil = Math.max(endAt, Date.now() + 5000);
  const lostNow = () => stream.lost().length;
  const willsOwed = phases.flatMap((report) => report.cut ?? []);
  while (Date.now() < drainUntil && (rr.state.outstanding.size > 0 || lostNow() > 0 || willsOwed.some((id) => !wills.has(id)))) await sleep(100);
  const gatewayDied = gateway.exited();
  if (gatewayDied !== null) failures.push(`the gateway exited: ${JSON.stringify(gatewayDied)}\n${gateway.output().slice(-2000)}`);
  // One more $SYS report, so the counters include the end.
  if (gatewayDied === null) {
    const reports = sys.reports();
    for (const until = Date.now() + 7000; sys.reports() === reports && Date.now() < until;) await sleep(100);
    await sleep(200);
    sample();
  }
  clearInterval(sampler);

  // The figures.
  const rss = samples.map((s) => s.rssKb);
  const start = samples[0].rssKb;
  const end = samples.at(-1).rssKb;
  const lastHalf = samples.filter((s) => s.t >= SECONDS / 2);
  const bucketSeconds = Math.max(10, (SECONDS / 2) / 5);
  const floors = new Map();
  for (const s of lastHalf) {
    const bucket = Math.floor((s.t - SECONDS / 2) / bucketSeconds);
    floors.set(bucket, Math.min(floors.get(bucket) ?? Infinity, s.rssKb));
  }
  const slopeKbPerMin = slope([...floors].map(([bucket, kb]) => [((bucket + 0.5) * bucketSeconds) / 60, kb]));
  const sorted = [...rr.state.roundTripsMs].sort((a, b) => a - b);
  const byQos = rr.state.byQos.map((values) => values.sort((a, b) => a - b));
  const unanswered = rr.state.outstanding.size + rr.state.late;
  const lost = stream.lost();
  const willsMissing = willsOwed.filter((id) => !wills.has(id));
  const finalCounters = samples.at(-1).counters;
  const attackTotals = {};
  for (const report of phases) {
    const total = (attackTotals[report.phase] ??= { runs: 0 });
    total.runs++;
    for (const [key, value] of Object.entries(report)) {
      if (typeof value === "number" && !["rotation", "startedAt", "endedAt"].includes(key)) total[key] = (total[key] ?? 0) + value;
      if (key === "cut") total.cut = (total.cut ?? 0) + value.length;
      if (key === "refused") for (const [code, n] of Object.entries(value)) total[`refused 0x${Number(code).toString(16)}`] = (total[`refused 0x${Number(code).toString(16)}`] ?? 0) + n;
    }
  }
  // Every QoS 0 message the non-reading subscriber did not get must be counted as a drop (the
  // normal clients' messages are all accounted for above, so the counters' drops are its own).
  const stream0 = attackTotals["non-reading subscriber under a QoS 0 stream"] ?? { sent: 0, delivered: 0 };
  const notDelivered = stream0.sent - stream0.delivered;
  const dropsCounted = ["dropped/congested", "dropped/queue full", "dropped/message pool full"].reduce((sum, name) => sum + finalCounters[name], 0);
  const summary = {
    date: new Date(started).toISOString(),
    seconds: SECONDS,
    board: BOARD,
    persistence: true,
    machine: { cpus: cpus().length, node: process.version },
    rssKb: { start, min: Math.min(...rss), max: Math.max(...rss), end, lastHalfSlopeKbPerMin: slopeKbPerMin,
      boundGrowthKb: RSS_GROWTH_MAX_KB, boundSlopeKbPerMin: RSS_SLOPE_MAX_KB_MIN },
    gatewayCpuMs: samples.at(-1).cpuMs,
    counters: finalCounters,
    roundTrips: { sent: rr.state.sent, answered: rr.state.answered, unanswered, late: rr.state.late, duplicates: rr.state.duplicates,
      p50Ms: percentile(sorted, 0.5), p99Ms: percentile(sorted, 0.99), maxMs: sorted.at(-1),
      byQos: byQos.map((values, qos) => ({ qos, count: values.length, p50Ms: percentile(values, 0.5), p99Ms: percentile(values, 0.99) })) },
    qos1Stream: { sent: stream.sent(), acknowledged: stream.acknowledged.size, received: stream.received.size, lost: lost.length },
    wills: { owed: willsOwed.length, received: willsOwed.length - willsMissing.length, missing: willsMissing.length },
    dropsAccounted: { notDelivered, dropsCounted },
    attacks: attackTotals,
    failures: [...failures],
    samples,
    phases: phases.map(({ cut, ...rest }) => ({ ...rest, ...(cut ? { cut: cut.length } : {}) })),
  };
  if (unanswered > 0) failures.push(`${unanswered} normal round trips unanswered within ${ANSWER_TIMEOUT_MS} ms`);
  if (lost.length > 0) failures.push(`${lost.length} acknowledged QoS 1 messages never reached the subscriber (first: ${lost.slice(0, 5)})`);
  if (dropsCounted !== notDelivered) failures.push(`the attack stream's messages not delivered (${notDelivered}) are not the drops counted (${dropsCounted})`);
  if (willsMissing.length > 0) failures.push(`${willsMissing.length} wills owed were not published (first: ${willsMissing.slice(0, 3)})`);
  if (summary.rssKb.max - start > RSS_GROWTH_MAX_KB) failures.push(`RSS grew ${mb(summary.rssKb.max - start)} over its start (bound ${mb(RSS_GROWTH_MAX_KB)})`);
  const trendJudged = SECONDS >= TREND_SECONDS_MIN;
  if (trendJudged && !(slopeKbPerMin < RSS_SLOPE_MAX_KB_MIN)) failures.push(`RSS still rising in the last half: ${slopeKbPerMin.toFixed(0)} KB/min (bound ${RSS_SLOPE_MAX_KB_MIN})`);
  summary.failures = failures;

  const ms = (value) => (Number.isFinite(value) ? `${value.toFixed(1)} ms` : "-");
  log("");
  log(`Soak summary (${summary.date}): ${SECONDS} s, board ${BOARD}, persistence on, ${summary.machine.cpus} CPUs, ${process.version}`);
  log(`  RSS: start ${mb(start)}, min ${mb(summary.rssKb.min)}, max ${mb(summary.rssKb.max)} (+${mb(summary.rssKb.max - start)}, bound +${mb(RSS_GROWTH_MAX_KB)}),`
    + ` end ${mb(end)}; last half: ${slopeKbPerMin.toFixed(0)} KB/min`
    + ` (${!trendJudged ? `not judged: runs under ${TREND_SECONDS_MIN} s are still warming up` : slopeKbPerMin < RSS_SLOPE_MAX_KB_MIN ? "flat" : "RISING"}:`
    + ` bound ${RSS_SLOPE_MAX_KB_MIN} KB/min)`);
  log(`  gateway CPU: ${(summary.gatewayCpuMs / 1000).toFixed(1)} s over ${SECONDS} s`);
  log(`  round trips: ${rr.state.answered} answered of ${rr.state.sent} sent (${unanswered} unanswered, ${rr.state.duplicates} duplicate answers);`
    + ` p50 ${ms(summary.roundTrips.p50Ms)}, p99 ${ms(summary.roundTrips.p99Ms)}, max ${ms(summary.roundTrips.maxMs)};`
    + ` ${summary.roundTrips.byQos.map((q) => `QoS ${q.qos} p50 ${ms(q.p50Ms)} p99 ${ms(q.p99Ms)}`).join(", ")}`);
  log(`  QoS 1 stream: ${stream.sent()} sent, ${stream.acknowledged.size} acknowledged, ${stream.received.size} received, ${lost.length} acknowledged but lost`);
  log(`  wills: ${summary.wills.received} of ${summary.wills.owed} owed published`);
  log(`  drops: the attack stream's ${stream0.sent} QoS 0 messages less the ${stream0.delivered} its subscriber read = ${notDelivered};`
    + ` drops counted (congested + queue full + pool full) = ${dropsCounted}`);
  log(`  counters ($SYS): ${COUNTERS.map((name) => `${name} ${finalCounters[name]}`).join(", ")}`);
  for (const [phase, total] of Object.entries(attackTotals)) {
    const { runs, ...rest } = total;
    log(`  attack ${phase}: ${runs} runs, ${Object.entries(rest).map(([key, value]) => `${key} ${value}`).join(", ")}`);
  }
  log(failures.length === 0 ? "  result: PASS" : `  result: FAIL\n${failures.map((failure) => `    - ${failure}`).join("\n")}`);
  mkdirSync(dirname(JSON_PATH), { recursive: true });
  writeFileSync(JSON_PATH, `${JSON.stringify(summary, null, 2)}\n`);
  log(`  figures: ${JSON_PATH.replace(ROOT, "")}`);

  stopping = true;
  for (const client of normalClients) client.end(true);
  await gateway.stop();
  rmSync(dir, { recursive: true, force: true });
  return failures.length === 0 ? 0 : 1;
}

main().then((code) => process.exit(code), (error) => {
  process.stderr.write(`soak: ${error.stack}\n`);
  process.exit(1);
});
