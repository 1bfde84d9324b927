// One run of each measurement of the client benchmark (tools/bench/client.mjs) against one
// running broker. Publishers and idle clients are child processes started fresh for each run
// (tools/bench/client_child.mjs for the Node clients; mosquitto_pub and mosquitto_sub as they
// are); the subscriber that stops the clock is this process, on a raw socket (wire.mjs), the
// same for every client. Every run is bounded: a message count, a time cap (`capMs`) and a stall
// limit (`stallMs` without a new delivery); children that outlive a run are killed.
import { spawn } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync, readdirSync, readlinkSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { gzipSync } from "node:zlib";
import { cpuMsOf, rssKbOf, sleep } from "./brokers.mjs";
import { PAYLOAD_SIZE, TOPIC, payloadOf, sequenceOf } from "./client_child.mjs";
import { Framer, PUBLISH, openClient, payloadOffset } from "./wire.mjs";

const ROOT = new URL("../../", import.meta.url).pathname;
const CHILD = join(ROOT, "tools/bench/client_child.mjs");
export const MOSQUITTO_PUB = "/usr/bin/mosquitto_pub";
export const MOSQUITTO_SUB = "/usr/bin/mosquitto_sub";
/** The topic idle clients subscribe to (mosquitto_sub needs one); nothing is published on it. */
const IDLE_TOPIC = "bench/idle";
/** How long a child may take to connect, and to exit once asked. */
const CHILD_CONNECT_MS = 10000;
const CHILD_EXIT_MS = 5000;

let runNumber = 0;
/** Every child still running, so that the benchmark can stop them all on the way out. */
export const children = new Set();

/**
 * A child process with its stdout split into JSON lines (the Node clients) and kept as text
 * (the mosquitto tools), and a promise of its exit.
 */
function startChild(argv, { stdin = "ignore", input = null } = {}) {
  const fd = input === null ? null : openSync(input, "r");
  const child = spawn(argv[0], argv.slice(1), { cwd: ROOT, stdio: [fd ?? stdin, "pipe", "pipe"] });
  if (fd !== null) closeSync(fd); // the child has its own copy
  children.add(child);
  const record = { child, pid: child.pid, lines: [], text: "", stderr: "", exit: null, waiters: [] };
  record.exited = new Promise((resolve) => child.once("exit", (code, signal) => {
    children.delete(child);
    record.exit = { code, signal };
    resolve(record.exit);
  }));
  child.on("error", (error) => { record.stderr += `${error.message}\n`; });
  let rest = "";
  child.stdout.on("data", (chunk) => {
    record.text += chunk;
    rest += chunk;
    let newline;
    while ((newline = rest.indexOf("\n")) >= 0) {
      const line = rest.slice(0, newline);
      rest = rest.slice(newline + 1);
      if (!line.startsWith("{")) continue;
      try {
        const event = JSON.parse(line);
        record.lines.push(event);
        for (const waiter of record.waiters.splice(0)) waiter();
      } catch {
        // not one of ours
      }
    }
  });
  child.stderr.on("data", (chunk) => {
    if (record.stderr.length < 4000) record.stderr += chunk;
  });
  return record;
}

/** Resolves with the child's first `event` line, or null on exit or after `timeoutMs`. */
async function childEvent(record, event, timeoutMs) {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const found = record.lines.find((line) => line.event === event);
    if (found) return found;
    if (record.exit || performance.now() > deadline) return null;
    await new Promise((resolve) => {
      record.waiters.push(resolve);
      setTimeout(resolve, 50);
    });
  }
}

/** Waits for the child to exit; SIGTERM then SIGKILL if it takes longer than `timeoutMs`. */
async function childStop(record, { signal = null, timeoutMs = CHILD_EXIT_MS } = {}) {
  if (record.exit) return record.exit;
  if (signal) record.child.kill(signal);
  const timer = setTimeout(() => record.child.kill(signal ? "SIGKILL" : "SIGTERM"), timeoutMs);
  const killer = setTimeout(() => record.child.kill("SIGKILL"), 2 * timeoutMs);
  const exit = await record.exited;
  clearTimeout(timer);
  clearTimeout(killer);
  return exit;
}

/** The first lines of what a child said, for an error message. */
const childLog = (record) => `${record.stderr.trim().slice(0, 600)} ${JSON.stringify(record.lines.filter((l) => l.event !== "connected")).slice(0, 600)}`.trim();

/** mosquitto_pub -l input: one payload per line (payloadOf(i) + "\n"), written once per count. */
function linesFile(workDir, count) {
  const path = join(workDir, `lines-${count}.txt`);
  if (!existsSync(path)) {
    const bytes = Buffer.allocUnsafe(count * (PAYLOAD_SIZE + 1));
    for (let i = 0; i < count; i++) {
      payloadOf(i).copy(bytes, i * (PAYLOAD_SIZE + 1));
      bytes[i * (PAYLOAD_SIZE + 1) + PAYLOAD_SIZE] = 0x0a;
    }
    writeFileSync(path, bytes);
  }
  return path;
}

/** The command line of publisher `client`, and the file its stdin reads (mosquitto_pub -l). */
function publisherCommand(client, { port, qos, count, window, workDir, nodeFlags }) {
  if (client === "mosquitto") {
    return {
      argv: [MOSQUITTO_PUB, "-h", "127.0.0.1", "-p", String(port), "-t", TOPIC, "-q", String(qos), "-l", "-M", String(window),
        "--nodelay", "-i", `bench-mosquitto_pub-${process.pid}-${runNumber}`],
      input: linesFile(workDir, count),
    };
  }
  return {
    argv: [process.execPath, ...nodeFlags, CHILD, "--mode", "publish", "--client", client, "--port", String(port),
      "--qos", String(qos), "--count", String(count), "--window", String(window)],
    input: null,
  };
}

/**
 * Publishes per second from one client: `count` messages of PAYLOAD_SIZE bytes to TOPIC at
 * `qos`, at most `window` unsettled (mosquitto_pub: -M window at QoS 1/2; at QoS 0 it queues
 * all it reads). End to end: a subscriber here (QoS 0 subscription, raw socket) counts each
 * sequence number once; rate = (unique - 1) / (last new delivery - first delivery), so process
 * start, module load and CONNECT are outside the clock for every client alike. The publisher's
 * own verdict is checked too: every handle settled without failure (Node clients), exit code
 * 0 after waiting for its last ack (mosquitto_pub). CPU of the publisher (all its threads), the
 * broker and this process (the subscriber) is read at the first and at the last delivery; the
 * publisher's CPU per message is the client's own cost, which a busy machine disturbs less
 * than the rate.
 */
export async function publishRate(broker, { client, qos, count, window, capMs, stallMs = 3000, workDir, nodeFlags = [] }) {
  const run = ++runNumber;
  const errors = [];
  const sub = await openClient({ port: broker.port, version: 4, clientId: `bench-csub-${process.pid}-${run}` });
  await sub.subscribe(TOPIC, 0);
  const seen = new Uint8Array(count);
  let unique = 0;
  let duplicates = 0;
  let strangers = 0;
  let firstAt = 0;
  let lastAt = 0;
  let publisher = null;
  let publisherCpuMs = 0; // last successful read: the publisher may exit before the last delivery
  const readPublisherCpu = () => {
    try {
      publisherCpuMs = cpuMsOf(publisher.pid);
    } catch {
      // exited and reaped
    }
    return publisherCpuMs;
  };
  const snapshot = () => {
    const cpu = process.cpuUsage();
    return { publisher: readPublisherCpu(), broker: broker.cpuMs(), subscriber: (cpu.user + cpu.system) / 1000 };
  };
  let first = null;
  let last = null;
  let finish;
  const done = new Promise((resolve) => { finish = resolve; });
  const framer = new Framer();
  sub.fast((chunk) => {
    const now = performance.now();
    framer.feed(chunk, (firstByte, buffer, start) => {
      if (firstByte >> 4 !== PUBLISH) return;
      const sequence = sequenceOf(buffer, payloadOffset(firstByte, buffer, start, 4));
      if (sequence < 0 || sequence >= count) {
        strangers++;
        return;
      }
      if (seen[sequence]) {
        duplicates++;
        return;
      }
      seen[sequence] = 1;
      unique++;
      lastAt = now;
      if (unique === 1) {
        firstAt = now;
        first = snapshot();
      }
      if (unique === count) {
        last = snapshot();
        finish("complete");
      }
    });
  });
  let closing = false;
  sub.socket.on("close", () => {
    if (!closing) errors.push("subscriber connection closed by the broker");
  });

  const { argv, input } = publisherCommand(client, { port: broker.port, qos, count, window, workDir, nodeFlags });
  const startedAt = performance.now();
  publisher = startChild(argv, { input });
  let lastUnique = 0;
  let lastProgressAt = startedAt;
  const check = setInterval(() => {
    const now = performance.now();
    readPublisherCpu();
    if (unique !== lastUnique) {
      lastUnique = unique;
      lastProgressAt = now;
    }
    if (now - startedAt > capMs) finish("capped");
    else if (now - lastProgressAt > stallMs) finish("stalled");
  }, 20);
  const outcome = await done;
  clearInterval(check);
  last ??= snapshot();

  // The publisher's verdict: Node clients report when every message has settled; mosquitto_pub
  // exits 0 once its last message is acknowledged.
  const report = client === "mosquitto" ? null : await childEvent(publisher, "done", outcome === "complete" ? CHILD_EXIT_MS : 0);
  const exit = await childStop(publisher, { signal: outcome === "complete" ? null : "SIGTERM" });
  let acknowledged = false;
  if (client === "mosquitto") {
    acknowledged = exit.code === 0;
    if (!acknowledged) errors.push(`mosquitto_pub exited with ${JSON.stringify(exit)}: ${childLog(publisher)}`);
  } else if (report) {
    acknowledged = report.settled === count && report.failed === 0;
    if (!acknowledged) errors.push(`publisher settled ${report.settled} of ${count}, ${report.failed} failed`);
  } else {
    errors.push(`publisher gave no "done" (exit ${JSON.stringify(exit)}): ${childLog(publisher)}`);
  }
  if (exit.code !== 0 && client !== "mosquitto" && outcome === "complete") errors.push(`publisher exited with ${JSON.stringify(exit)}`);
  if (outcome !== "complete") errors.push(`${outcome}: ${unique} of ${count} delivered; ${childLog(publisher)}`);
  if (strangers) errors.push(`${strangers} deliveries without a sequence number of this run`);
  closing = true;
  await sub.close();

  const elapsedMs = lastAt - firstAt;
  const cores = (key) => (elapsedMs > 0 && first ? (last[key] - first[key]) / elapsedMs : NaN);
  return {
    client, qos, count, window, outcome, delivered: unique, lost: count - unique, duplicates, acknowledged,
    rate: unique > 1 && elapsedMs > 0 ? ((unique - 1) * 1000) / elapsedMs : NaN, elapsedMs,
    startToFirstMs: firstAt > 0 ? firstAt - startedAt : NaN,
    publisherCpu: cores("publisher"), brokerCpu: cores("broker"), subscriberCpu: cores("subscriber"),
    publisherCpuUsPerMessage: unique > 1 && first ? ((last.publisher - first.publisher) * 1000) / (unique - 1) : NaN,
    publisherReport: report, errors,
  };
}

/**
 * RSS of one connected, idle client in a fresh process (VmRSS, `settleMs` after it is
 * connected). Node clients say when they are connected; mosquitto_sub (its stdout is a pipe,
 * so fully buffered) is taken as connected once its TCP connection to the broker is
 * established, and its -d output, flushed when SIGTERM ends it, must show the CONNACK.
 */
export async function idleRss(broker, { client, settleMs }) {
  const run = ++runNumber;
  const errors = [];
  const argv = client === "mosquitto"
    ? [MOSQUITTO_SUB, "-h", "127.0.0.1", "-p", String(broker.port), "-t", IDLE_TOPIC, "-d", "-i", `bench-mosquitto_sub-${process.pid}-${run}`]
    : [process.execPath, CHILD, "--mode", "idle", "--client", client, "--port", String(broker.port)];
  const record = startChild(argv, { stdin: "pipe" });
  let connected = false;
  if (client === "mosquitto") {
    const deadline = performance.now() + CHILD_CONNECT_MS;
    while (!record.exit && performance.now() < deadline && !(connected = tcpEstablished(record.pid, broker.port))) await sleep(10);
  } else {
    connected = (await childEvent(record, "connected", CHILD_CONNECT_MS)) !== null;
  }
  let rssKb = NaN;
  if (connected) {
    await sleep(settleMs);
    if (!record.exit) rssKb = rssKbOf(record.pid);
  }
  record.child.stdin.end();
  const exit = await childStop(record, { signal: client === "mosquitto" ? "SIGTERM" : null });
  if (!connected) errors.push(`${client}: not connected within ${CHILD_CONNECT_MS} ms (exit ${JSON.stringify(exit)}): ${childLog(record)}`);
  if (client === "mosquitto" && connected && !/received CONNACK \(0\)/.test(record.text)) {
    errors.push(`mosquitto_sub: no CONNACK in its output: ${record.text.slice(0, 300)}`);
    rssKb = NaN;
  }
  if (Number.isFinite(rssKb) && record.exit && record.exit.code !== 0 && client !== "mosquitto") {
    errors.push(`${client} exited with ${JSON.stringify(record.exit)}`);
  }
  return { client, rssKb, errors };
}

/** Whether process `pid` holds a TCP connection to 127.0.0.1:`port` in state ESTABLISHED. */
export function tcpEstablished(pid, port) {
  let inodes;
  try {
    inodes = new Set(readdirSync(`/proc/${pid}/fd`).map((fd) => {
      try {
        return /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1];
      } catch {
        return undefined;
      }
    }).filter(Boolean));
  } catch {
    return false;
  }
  const remote = `0100007F:${port.toString(16).toUpperCase().padStart(4, "0")}`;
  // /proc/net/tcp: sl local_address rem_address st ... inode (field 9); st 01 = ESTABLISHED.
  for (const line of readFileSync(`/proc/${pid}/net/tcp`, "utf8").split("\n").slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length > 9 && fields[2] === remote && fields[3] === "01" && inodes.has(fields[9])) return true;
  }
  return false;
}

/** Bytes and gzip -9 bytes of each file that exists; `files`: [[label, path relative to the repository]]. */
export function codeSizes(files) {
  return files.map(([label, path]) => {
    const full = join(ROOT, path);
    if (!existsSync(full)) return { label, path, bytes: NaN, gzipBytes: NaN };
    return { label, path, bytes: statSync(full).size, gzipBytes: gzipSync(readFileSync(full), { level: 9 }).length };
  });
}
