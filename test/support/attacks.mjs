// Attack clients for the gateway's denial-of-service test (test/gateway_dos.test.mjs) and the
// soak (tools/soak/soak.mjs), and the target they are pointed at: the gateway as a child process,
// so that its memory (VmRSS) and descriptors are read from /proc/<pid> without the attacker's
// own mixing in.
//
// Every attack is bounded twice, by a count and by a time, stops by itself when either runs out,
// destroys every socket it opened, and resolves with what it saw. Raw node:net sockets throughout:
// an attacker sends what no client library would (half a CONNECT, PINGREQs without reading, a
// WebSocket frame header announcing 90 MB). Packets are encoded by mqtt-packet; incoming bytes
// are split by the benchmark's Framer (fixed header only).
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import net from "node:net";
import { join } from "node:path";
import mqtt from "mqtt";
import mqttPacket from "mqtt-packet";
import { cpuMsOf, freePort, rssKbOf, sleep } from "../../tools/bench/brokers.mjs";
import { Framer } from "../../tools/bench/wire.mjs";

export { cpuMsOf, freePort, rssKbOf, sleep };

const ROOT = new URL("../../", import.meta.url).pathname;
/** The gateway to attack; WRENMQ_GATEWAY_MAIN points at another copy (one with a protection taken out, say). */
const MAIN = process.env.WRENMQ_GATEWAY_MAIN ?? join(ROOT, "tools/gateway/main.mjs");

const CONNACK = 2;
const PUBLISH = 3;
const SUBACK = 9;
const PINGRESP = 13;
const PINGREQ_BYTES = Buffer.from([0xc0, 0x00]);
const DISCONNECT_BYTES = Buffer.from([0xe0, 0x00]);
/** What the gateway keeps of its own output, at most, for the tests' reading (the log can be long). */
const OUTPUT_KEPT_MAX = 1 << 20;

// ---- the target ---------------------------------------------------------------------------------

/**
 * The gateway as a child process: `node tools/gateway/main.mjs --board <dir>/board.json --config
 * <dir>/gateway.conf`, the board being boards/<board>.json with `limits` laid over its own (the
 * host's `outputBytesMax` may be among them). The configuration has one plain listener on a free
 * port of 127.0.0.1, and a WebSocket one when `websockets`; `lines` are added before them
 * (sys_interval, password_file, …). `flash`: persistence in <dir>/gateway.flash.
 * Resolves once the gateway says it is running; `stop()` sends SIGTERM (SIGKILL after 5 s).
 */
export async function gatewayStart(dir, { board = "sim", limits = {}, lines = [], websockets = false, flash = false } = {}) {
  const profile = JSON.parse(readFileSync(join(ROOT, "boards", `${board}.json`), "utf8"));
  writeFileSync(join(dir, "board.json"), JSON.stringify({ ...profile, limits: { ...profile.limits, ...limits } }));
  const port = await freePort();
  const wsPort = websockets ? await freePort() : null;
  const config = [...lines, `listener ${port} 127.0.0.1`, ...(websockets ? [`listener ${wsPort} 127.0.0.1`, "protocol websockets"] : []), ""];
  writeFileSync(join(dir, "gateway.conf"), config.join("\n"));
  const argv = [MAIN, "--board", join(dir, "board.json"), "--config", join(dir, "gateway.conf"), ...(flash ? ["--flash", join(dir, "gateway.flash")] : [])];
  const child = spawn(process.execPath, argv, { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  let dropped = 0;
  const keep = (data) => {
    output += data;
    if (output.length > OUTPUT_KEPT_MAX) {
      dropped += output.length - OUTPUT_KEPT_MAX / 2;
      output = output.slice(-OUTPUT_KEPT_MAX / 2);
    }
  };
  const lineCounts = new Map(); // pattern source -> count, over the whole output (not only what is kept)
  const patterns = [];
  let partial = "";
  const count = (data) => {
    const text = partial + data;
    const end = text.lastIndexOf("\n");
    partial = text.slice(end + 1);
    if (end < 0 || patterns.length === 0) return;
    for (const line of text.slice(0, end).split("\n")) {
      for (const pattern of patterns) if (pattern.test(line)) lineCounts.set(pattern.source, (lineCounts.get(pattern.source) ?? 0) + 1);
    }
  };
  child.stdout.on("data", (data) => { keep(data); count(data); });
  child.stderr.on("data", (data) => { keep(data); count(data); });
  const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  let exit = null;
  exited.then((result) => { exit = result; });
  for (const deadline = Date.now() + 15000; !/ running\n/.test(output) && exit === null && Date.now() < deadline;) await sleep(20);
  if (!/ running\n/.test(output)) {
    child.kill("SIGKILL");
    throw new Error(`the gateway did not start within 15 s (${JSON.stringify(exit)}):\n${output}`);
  }
  return {
    name: "wrenmq",
    pid: child.pid,
    port,
    wsPort,
    dir,
    rssKb: () => rssKbOf(child.pid),
    cpuMs: () => cpuMsOf(child.pid),
    fdCount: () => fdCountOf(child.pid),
    holds: (peerPort) => holdsConnection(child.pid, port, peerPort),
    output: () => output,
    outputDropped: () => dropped,
    exited: () => exit,
    /** Counts the log lines matching `pattern` from now on; read with `lines(pattern)`. */
    countLines: (pattern) => { patterns.push(pattern); },
    lines: (pattern) => lineCounts.get(pattern.source) ?? 0,
    stop: async () => {
      if (exit !== null) return exit;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
  };
}

/** Open descriptors of process `pid` (sockets, files, pipes). */
export function fdCountOf(pid) {
  return readdirSync(`/proc/${pid}/fd`).length;
}

/**
 * Does process `pid` still hold a descriptor for the TCP connection between its `localPort` and
 * the peer's `peerPort` on 127.0.0.1? (/proc/net/tcp names the socket's inode; a socket the
 * process destroyed has no descriptor left, even while the kernel finishes its FIN handshake.)
 */
export function holdsConnection(pid, localPort, peerPort) {
  const hexPort = (port) => port.toString(16).toUpperCase().padStart(4, "0");
  const local = `:${hexPort(localPort)}`;
  const remote = `:${hexPort(peerPort)}`;
  const inodes = new Set();
  for (const line of readFileSync("/proc/net/tcp", "utf8").split("\n").slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 10) continue;
    if (fields[1].endsWith(local) && fields[2].endsWith(remote) && fields[9] !== "0") inodes.add(`socket:[${fields[9]}]`);
  }
  if (inodes.size === 0) return false;
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      if (inodes.has(readlinkSync(`/proc/${pid}/fd/${fd}`))) return true;
    } catch { /* closed while we looked */ }
  }
  return false;
}

/**
 * A $SYS watcher: an MQTT.js client subscribed to $SYS/broker/#, keeping the last value of each
 * topic. `figure(name)` reads one ("dropped/congested") as a number (NaN when not seen yet);
 * `settled()` waits for two reports in a row with the same `names` (counters stopped moving).
 */
export async function sysWatch(port, { clientId = `sys-${process.pid}-${Date.now()}` } = {}) {
  const client = await mqtt.connectAsync({ host: "127.0.0.1", port, clientId, reconnectPeriod: 0, connectTimeout: 5000 });
  const values = new Map();
  let reports = 0;
  client.on("message", (topic, payload) => {
    values.set(topic.slice("$SYS/broker/".length), payload.toString());
    if (topic.endsWith("/uptime")) reports++;
  });
  await client.subscribeAsync("$SYS/broker/#", { qos: 0 });
  const figure = (name) => Number.parseFloat(values.get(name) ?? "NaN");
  return {
    client,
    figure,
    values,
    reports: () => reports,
    /** Resolves once `names` read the same in two consecutive reports (at most `timeoutMs`). */
    async settled(names, timeoutMs = 10000) {
      const deadline = Date.now() + timeoutMs;
      let last = null;
      let seen = reports;
      while (Date.now() < deadline) {
        await sleep(50);
        if (reports === seen) continue;
        seen = reports;
        await sleep(50); // the rest of the report after its uptime
        const now = names.map(figure).join(",");
        if (now === last) return Object.fromEntries(names.map((name) => [name, figure(name)]));
        last = now;
      }
      return Object.fromEntries(names.map((name) => [name, figure(name)]));
    },
    close: () => client.endAsync(true),
  };
}

// ---- sockets ------------------------------------------------------------------------------------

/** A raw TCP connection to 127.0.0.1:`port`; rejects on error or after `timeoutMs`. */
export function socketOpen(port, { allowHalfOpen = false, timeoutMs = 5000 } = {}) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: "127.0.0.1", allowHalfOpen });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no TCP connection to ${port} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once("connect", () => {
      clearTimeout(timer);
      socket.off("error", reject);
      socket.on("error", () => {}); // 'close' follows
      resolve(socket);
    });
    socket.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/**
 * Resolves true when `socket` has taken what was written ('drain'), false after `timeoutMs` or
 * when it closes; leaves no listener behind.
 */
export function drainAwait(socket, timeoutMs) {
  return new Promise((resolve) => {
    const finish = (result) => {
      clearTimeout(timer);
      socket.off("drain", onDrain);
      socket.off("close", onClose);
      resolve(result);
    };
    const onDrain = () => finish(true);
    const onClose = () => finish(false);
    const timer = setTimeout(() => finish(false), Math.max(0, timeoutMs));
    socket.on("drain", onDrain);
    socket.on("close", onClose);
  });
}

/** A CONNECT packet (MQTT 3.1.1 unless `protocolVersion` says otherwise). */
export function connectBytes(clientId, { keepalive = 0, clean = true, will = null, username, password, protocolVersion = 4 } = {}) {
  return mqttPacket.generate({
    cmd: "connect", protocolId: protocolVersion === 3 ? "MQIsdp" : "MQTT", protocolVersion, clean, keepalive, clientId,
    ...(will ? { will: { qos: 0, retain: false, ...will } } : {}),
    ...(username !== undefined ? { username } : {}), ...(password !== undefined ? { password: Buffer.from(password) } : {}),
  }, { protocolVersion });
}

/**
 * Reads packets from `socket` with a Framer until `want(type, body)` returns true; resolves with
 * that packet's { type, body }, or null when the socket closes or `timeoutMs` passes first.
 */
export function packetAwait(socket, want, timeoutMs = 5000) {
  return new Promise((resolve) => {
    const framer = new Framer();
    let done = false;
    const finish = (result) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.off("data", onData);
      socket.off("close", onClose);
      resolve(result);
    };
    const onData = (chunk) => framer.feed(chunk, (first, buffer, start, end) => {
      if (!done && want(first >> 4, buffer.subarray(start, end))) finish({ type: first >> 4, body: Buffer.from(buffer.subarray(start, end)) });
    });
    const onClose = () => finish(null);
    const timer = setTimeout(() => finish(null), timeoutMs);
    socket.on("data", onData);
    socket.once("close", onClose);
  });
}

/** Opens a connection and has its CONNECT answered; resolves with { socket, returnCode } (socket null on failure). */
export async function mqttOpen(port, clientId, options = {}, { allowHalfOpen = false, timeoutMs = 5000 } = {}) {
  let socket;
  try {
    socket = await socketOpen(port, { allowHalfOpen, timeoutMs });
  } catch {
    return { socket: null, returnCode: -1 };
  }
  const answer = packetAwait(socket, (type) => type === CONNACK, timeoutMs);
  socket.write(connectBytes(clientId, options));
  const connack = await answer;
  if (connack === null) {
    socket.destroy();
    return { socket: null, returnCode: -1 };
  }
  const returnCode = connack.body[1];
  if (returnCode !== 0) {
    socket.destroy();
    return { socket: null, returnCode };
  }
  return { socket, returnCode };
}

// ---- the attacks ----------------------------------------------------------------------------------

/**
 * `count` sockets opened in batches of `batch` (each batch's connections awaited), each handed to
 * `onOpen(socket, index)`. Tracks which the server closed (FIN or reset) before we did.
 * Every socket is destroyed after `holdMs` (or by `close()`).
 */
async function socketSwarm(port, { count, batch = 100, holdMs = 60000, onOpen = () => {} }) {
  const sockets = [];
  const closedAt = [];
  let failed = 0;
  let ours = false;
  const started = Date.now();
  // Tracked from the moment each connects: the server may close it before its batch is complete.
  const track = (socket) => {
    const index = sockets.length;
    sockets.push(socket);
    closedAt.push(0);
    const mark = () => { if (!ours && closedAt[index] === 0) closedAt[index] = Date.now(); };
    socket.on("end", mark);
    socket.on("close", mark);
    socket.resume(); // flowing, so the server's FIN is seen ('end') and answered
    onOpen(socket, index);
  };
  for (let first = 0; first < count; first += batch) {
    await Promise.all(Array.from({ length: Math.min(batch, count - first) }, () => socketOpen(port).then(track, () => { failed++; })));
  }
  const openedAt = Date.now();
  const close = () => {
    ours = true;
    clearTimeout(holdTimer);
    for (const socket of sockets) socket.destroy();
  };
  const holdTimer = setTimeout(close, holdMs);
  holdTimer.unref();
  return {
    sockets,
    failed,
    openMs: openedAt - started,
    openedAt,
    /** Sockets the server has closed so far. */
    closedByServer: () => closedAt.filter((at) => at !== 0).length,
    closedAt,
    close,
  };
}

/**
 * Idle sockets: connect, send nothing, hold. Resolves (once all are open) with the swarm:
 * `closedByServer()`, `close()`.
 */
export function idleSockets(port, { count, batch = 100, holdMs = 60000 }) {
  return socketSwarm(port, { count, batch, holdMs });
}

/**
 * Slowloris: each socket sends a valid CONNECT one byte every `intervalMs` (one timer for all),
 * never finishing in time. Stops sending after `holdMs`; `close()` ends it sooner.
 */
export async function slowloris(port, { count, batch = 100, intervalMs = 1000, holdMs = 60000, prefix = "slow" }) {
  const packets = [];
  const sent = [];
  const swarm = await socketSwarm(port, {
    count, batch, holdMs,
    onOpen: (socket, index) => {
      packets[index] = connectBytes(`${prefix}-${index}`, { keepalive: 60 });
      sent[index] = 0;
    },
  });
  let bytes = 0;
  const timer = setInterval(() => {
    for (let index = 0; index < swarm.sockets.length; index++) {
      const socket = swarm.sockets[index];
      if (swarm.closedAt[index] !== 0 || socket.destroyed || sent[index] >= packets[index].length) continue;
      socket.write(packets[index].subarray(sent[index], sent[index] + 1));
      sent[index]++;
      bytes++;
    }
  }, intervalMs);
  const stop = setTimeout(() => clearInterval(timer), holdMs);
  stop.unref();
  const close = swarm.close;
  return { ...swarm, bytesSent: () => bytes, close: () => { clearInterval(timer); clearTimeout(stop); close(); } };
}

/**
 * A peer that never closes: connects with `keepalive` seconds and a will, reads its CONNACK,
 * then goes silent with its socket open, never reading (paused) and never ending its side
 * (allowHalfOpen), until `holdMs` passes or `close()`. Resolves with { socket, port, connackAt }
 * (socket null when the CONNECT was refused).
 */
export async function silentPeer(port, { clientId, keepalive = 1, will, holdMs = 30000 }) {
  const { socket } = await mqttOpen(port, clientId, { keepalive, will }, { allowHalfOpen: true });
  if (socket === null) return { socket: null };
  const connackAt = Date.now();
  socket.pause();
  const timer = setTimeout(() => socket.destroy(), holdMs);
  timer.unref();
  return { socket, port: socket.localPort, connackAt, close: () => { clearTimeout(timer); socket.destroy(); } };
}

/**
 * A subscriber that never reads: CONNECT, SUBSCRIBE `topic` at `qos`, SUBACK read, then its
 * socket paused, so the kernel's buffers fill and the server holds what is left. `drain()` reads
 * again (from then on, for good) and resolves once nothing has arrived for `quietMs` (bounded by
 * `timeoutMs`) with the PUBLISH packets and bytes received since reading began; `close()` sends
 * DISCONNECT and destroys the socket.
 */
export async function nonReader(port, { clientId, topic, qos = 0 }) {
  const { socket, returnCode } = await mqttOpen(port, clientId, { keepalive: 0 });
  if (socket === null) throw new Error(`nonReader: CONNECT refused (${returnCode})`);
  const suback = packetAwait(socket, (type) => type === SUBACK);
  socket.write(mqttPacket.generate({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic, qos }] }));
  if ((await suback) === null) throw new Error("nonReader: no SUBACK");
  socket.pause();
  const received = { publishes: 0, bytes: 0 };
  let lastAt = 0;
  let reading = false;
  return {
    socket,
    async drain({ quietMs = 1000, timeoutMs = 30000 } = {}) {
      if (!reading) {
        reading = true;
        const framer = new Framer();
        socket.on("data", (chunk) => {
          received.bytes += chunk.length;
          lastAt = Date.now();
          framer.feed(chunk, (first) => { if (first >> 4 === PUBLISH) received.publishes++; });
        });
        socket.resume();
      }
      lastAt = Math.max(lastAt, Date.now());
      const deadline = Date.now() + timeoutMs;
      while (Date.now() - lastAt < quietMs && Date.now() < deadline && !socket.destroyed) await sleep(50);
      return { ...received };
    },
    close() {
      if (!socket.destroyed) socket.end(DISCONNECT_BYTES);
      setTimeout(() => socket.destroy(), 500).unref();
    },
  };
}

/**
 * A PINGREQ flood from one connection that never reads: CONNECT (CONNACK read), then PINGREQs
 * written in 64 KB batches as fast as the socket takes them, for `durationMs` or `pingsMax`, or
 * until `stopWhen()` (checked every batch) says enough. Resolves with { pings } (handed to the
 * kernel), when it stops; the socket is destroyed.
 */
export async function pingFlood(port, { clientId, durationMs = 4000, pingsMax = 50_000_000, stopWhen = () => false }) {
  const { socket, returnCode } = await mqttOpen(port, clientId, { keepalive: 0 });
  if (socket === null) throw new Error(`pingFlood: CONNECT refused (${returnCode})`);
  socket.pause();
  const batch = Buffer.alloc(65536);
  for (let at = 0; at < batch.length; at += 2) PINGREQ_BYTES.copy(batch, at);
  const deadline = Date.now() + durationMs;
  let pings = 0;
  let waits = 0;
  while (Date.now() < deadline && pings < pingsMax && !socket.destroyed && !stopWhen()) {
    if (socket.write(batch)) {
      pings += batch.length / 2;
      if (pings % (batch.length * 8) === 0) await new Promise(setImmediate); // let the rest of this process run
      continue;
    }
    pings += batch.length / 2;
    waits++;
    await drainAwait(socket, deadline - Date.now());
  }
  const unsent = Math.floor(socket.writableLength / 2);
  socket.destroy();
  return { pings: pings - unsent, waits };
}

/**
 * A fast raw QoS 0 publisher: `count` PUBLISH packets of `payloadSize` bytes to `topic`, written
 * in batches as fast as the socket takes them (stopping early after `timeoutMs` or when
 * `stopWhen()` says so); then a PINGREQ, whose PINGRESP says the server has taken every one.
 * Resolves with { sent, elapsedMs, answered, stopped }.
 */
export async function qos0Publisher(port, { clientId, topic, count, payloadSize, timeoutMs = 60000, stopWhen = () => false }) {
  const { socket, returnCode } = await mqttOpen(port, clientId, { keepalive: 0 });
  if (socket === null) throw new Error(`qos0Publisher: CONNECT refused (${returnCode})`);
  const packet = mqttPacket.generate({ cmd: "publish", topic, payload: randomBytes(payloadSize), qos: 0, retain: false, dup: false });
  const perBatch = Math.max(1, Math.floor(65536 / packet.length));
  const batch = Buffer.concat(Array.from({ length: perBatch }, () => packet));
  const started = Date.now();
  const deadline = started + timeoutMs;
  let sent = 0;
  let stopped = false;
  while (sent < count && Date.now() < deadline && !socket.destroyed) {
    if (stopWhen()) {
      stopped = true;
      break;
    }
    const n = Math.min(perBatch, count - sent);
    const ok = socket.write(n === perBatch ? batch : batch.subarray(0, n * packet.length));
    sent += n;
    if (!ok) await drainAwait(socket, deadline - Date.now());
  }
  const pong = packetAwait(socket, (type) => type === PINGRESP, stopped ? 1000 : Math.max(1000, deadline - Date.now()));
  socket.write(PINGREQ_BYTES);
  const answered = (await pong) !== null;
  const elapsedMs = Date.now() - started;
  socket.end(DISCONNECT_BYTES);
  setTimeout(() => socket.destroy(), 500).unref();
  return { sent, elapsedMs, answered, stopped };
}

/**
 * A WebSocket frame bomb: an HTTP upgrade (subprotocol mqtt) on a raw socket, optionally a valid
 * CONNECT frame answered by CONNACK (`afterConnect`), then the header of one masked binary frame
 * announcing `frameBytes`, and up to `streamBytes` of its payload in 64 KB writes until the
 * server refuses. The payload is what a patient server would see as one packet in progress: an
 * MQTT fixed header (CONNECT before the CONNECT, PUBLISH after it) announcing the rest of the
 * frame, then zeros. Resolves with { upgraded, connack, closeCode, serverClosed, streamed }: the
 * server's close frame status (1009: message too big) and whether the server closed the TCP
 * connection, within `timeoutMs`.
 */
export async function webSocketFrameBomb(port, { frameBytes, streamBytes, afterConnect = false, clientId = "ws-bomb", timeoutMs = 10000 }) {
  const result = { upgraded: false, connack: false, closeCode: null, serverClosed: false, streamed: 0 };
  let socket;
  try {
    socket = await socketOpen(port);
  } catch {
    return result;
  }
  const deadline = Date.now() + timeoutMs;
  let ours = false;
  socket.on("close", () => { if (!ours) result.serverClosed = true; });
  let buffered = Buffer.alloc(0);
  let headerDone = false;
  socket.on("data", (chunk) => {
    buffered = Buffer.concat([buffered, chunk]);
    if (!headerDone) {
      const end = buffered.indexOf("\r\n\r\n");
      if (end < 0) return;
      result.upgraded = / 101 /.test(buffered.subarray(0, end).toString("latin1").split("\r\n")[0]);
      buffered = buffered.subarray(end + 4);
      headerDone = true;
    }
    for (let frame = frameRead(buffered); frame !== null; frame = frameRead(buffered)) {
      buffered = buffered.subarray(frame.size);
      if (frame.opcode === 8) result.closeCode = frame.payload.length >= 2 ? frame.payload.readUInt16BE(0) : 1005;
      if (frame.opcode === 2 && frame.payload[0] >> 4 === CONNACK) result.connack = true;
    }
  });
  const until = async (predicate) => {
    while (!predicate() && !result.serverClosed && Date.now() < deadline) await sleep(10);
    return predicate();
  };
  const finish = () => {
    ours = true;
    socket.destroy();
    return result;
  };
  socket.write([
    "GET /mqtt HTTP/1.1", `Host: 127.0.0.1:${port}`, "Upgrade: websocket", "Connection: Upgrade",
    `Sec-WebSocket-Key: ${randomBytes(16).toString("base64")}`, "Sec-WebSocket-Version: 13", "Sec-WebSocket-Protocol: mqtt", "", "",
  ].join("\r\n"));
  if (!(await until(() => headerDone)) || !result.upgraded) return finish();
  if (afterConnect) {
    socket.write(frameMasked(connectBytes(clientId)));
    if (!(await until(() => result.connack))) return finish();
  }
  // The frame header: FIN + binary, masked, 64-bit length.
  const mask = randomBytes(4);
  const header = Buffer.alloc(14);
  header[0] = 0x82;
  header[1] = 0x80 | 127;
  header.writeBigUInt64BE(BigInt(frameBytes), 2);
  mask.copy(header, 10);
  socket.write(header);
  // The payload, masked: a packet header announcing the rest, then zeros (which mask to the key).
  const chunk = Buffer.alloc(65536);
  for (let index = 0; index < chunk.length; index++) chunk[index] = mask[index & 3];
  const prefix = fixedHeaderBytes(afterConnect ? 0x30 : 0x10, Math.min(frameBytes, REMAINING_LENGTH_MAX));
  const first = Buffer.from(chunk);
  for (let index = 0; index < prefix.length; index++) first[index] = prefix[index] ^ mask[index & 3];
  while (result.streamed < streamBytes && !result.serverClosed && result.closeCode === null && Date.now() < deadline) {
    const n = Math.min(chunk.length, streamBytes - result.streamed);
    const ok = socket.write((result.streamed === 0 ? first : chunk).subarray(0, n));
    result.streamed += n;
    if (!ok) await drainAwait(socket, Math.min(200, deadline - Date.now()));
    else if (result.streamed % (1 << 20) === 0) await new Promise(setImmediate);
  }
  await until(() => false); // the server's close, or the deadline
  return finish();
}

/** The largest Remaining Length MQTT can say (four bytes, §2.2.3). */
const REMAINING_LENGTH_MAX = 268435455;

/** An MQTT fixed header: `firstByte` and a Remaining Length of `length`, less the header itself. */
function fixedHeaderBytes(firstByte, length) {
  const bytes = [firstByte];
  for (let rest = length - 5; ;) {
    const byte = rest % 128;
    rest = Math.floor(rest / 128);
    bytes.push(rest > 0 ? byte | 0x80 : byte);
    if (rest === 0) break;
  }
  return Buffer.from(bytes);
}

/**
 * An oversized CONNECT on plain TCP: a fixed header announcing `announced` bytes, then up to
 * `streamBytes` of them, until the server closes. Resolves with { serverClosed, streamed }.
 */
export async function connectBomb(port, { announced, streamBytes, timeoutMs = 10000 }) {
  const socket = await socketOpen(port);
  let ours = false;
  let serverClosed = false;
  socket.on("close", () => { if (!ours) serverClosed = true; });
  socket.resume();
  socket.write(fixedHeaderBytes(0x10, Math.min(announced, REMAINING_LENGTH_MAX)));
  const chunk = Buffer.alloc(65536);
  let streamed = 0;
  const deadline = Date.now() + timeoutMs;
  while (streamed < streamBytes && !serverClosed && Date.now() < deadline) {
    const ok = socket.write(chunk);
    streamed += chunk.length;
    if (!ok) await drainAwait(socket, Math.min(200, deadline - Date.now()));
  }
  for (const end = Math.min(deadline, Date.now() + 1000); !serverClosed && Date.now() < end;) await sleep(20);
  ours = true;
  socket.destroy();
  return { serverClosed, streamed };
}

/** One masked client frame (binary) carrying `payload`. */
function frameMasked(payload) {
  const mask = randomBytes(4);
  const length = payload.length;
  const header = length < 126 ? Buffer.from([0x82, 0x80 | length]) : Buffer.from([0x82, 0x80 | 126, length >> 8, length & 0xff]);
  const body = Buffer.from(payload);
  for (let index = 0; index < body.length; index++) body[index] ^= mask[index & 3];
  return Buffer.concat([header, mask, body]);
}

/** A server frame (unmasked) at the start of `buffer`: { opcode, payload, size }, or null when incomplete. */
function frameRead(buffer) {
  if (buffer.length < 2) return null;
  let length = buffer[1] & 0x7f;
  let at = 2;
  if (length === 126) {
    if (buffer.length < 4) return null;
    length = buffer.readUInt16BE(2);
    at = 4;
  } else if (length === 127) {
    if (buffer.length < 10) return null;
    length = Number(buffer.readBigUInt64BE(2));
    at = 10;
  }
  if (buffer.length < at + length) return null;
  return { opcode: buffer[0] & 0x0f, payload: buffer.subarray(at, at + length), size: at + length };
}

/**
 * A login storm: `count` CONNECTs, each on its own connection and with its own client id
 * (`clientIdOf(n)`), by `parallel` workers one after the other; each answered CONNECT is followed
 * by DISCONNECT. Stops after `count` or `timeoutMs`; `onProgress(done)` is called after each.
 * Resolves with { done, accepted, refused: { returnCode: count }, failed, elapsedMs }.
 */
export async function loginStorm(port, { count, parallel = 8, clientIdOf, username, password, timeoutMs = 120000, onProgress = () => {} }) {
  const started = Date.now();
  const deadline = started + timeoutMs;
  const result = { done: 0, accepted: 0, refused: {}, failed: 0, elapsedMs: 0 };
  let next = 0;
  const worker = async () => {
    while (next < count && Date.now() < deadline) {
      const n = next++;
      const { socket, returnCode } = await mqttOpen(port, clientIdOf(n), { keepalive: 0, username, password });
      if (socket !== null) {
        result.accepted++;
        const closed = new Promise((resolve) => socket.once("close", resolve));
        socket.end(DISCONNECT_BYTES);
        const timer = setTimeout(() => socket.destroy(), 1000);
        await closed;
        clearTimeout(timer);
      } else if (returnCode > 0) {
        result.refused[returnCode] = (result.refused[returnCode] ?? 0) + 1;
      } else {
        result.failed++;
      }
      result.done++;
      await onProgress(result.done);
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  result.elapsedMs = Date.now() - started;
  return result;
}

/**
 * Malformed packets, one connection each: what a fuzzer or a confused client sends. Each must
 * be answered by the server closing the connection within `timeoutMs`. Resolves with
 * { sent, closed } (closed: how many the server closed).
 */
export async function malformedPackets(port, { timeoutMs = 3000, prefix = "malformed" } = {}) {
  let connects = 0;
  const connect = () => connectBytes(`${prefix}-${connects++}`, { keepalive: 10 });
  const cases = [
    Buffer.from([0x00, 0x00]), // packet type 0 is reserved (MQTT-2.2.1)
    Buffer.from([0x10, 0xff, 0xff, 0xff, 0xff, 0x7f]), // Remaining Length longer than four bytes (§2.2.3)
    Buffer.concat([Buffer.from([0x10, 0x0c, 0x00, 0x04]), Buffer.from("MQTX"), Buffer.from([0x04, 0x02, 0x00, 0x0a, 0x00, 0x00])]), // bad protocol name
    Buffer.from([0x30, 0x05, 0x00, 0x01, 0x61, 0x68, 0x69]), // PUBLISH before CONNECT
    Buffer.concat([connect(), connect()]), // a second CONNECT (MQTT-3.1.0-2)
    Buffer.concat([connect(), Buffer.from([0x82, 0x06, 0x00, 0x01, 0x00, 0x01, 0x61, 0x03])]), // SUBSCRIBE at QoS 3
    Buffer.concat([connect(), Buffer.from([0x32, 0x04, 0x00, 0x01, 0x61, 0x00])]), // QoS 1 PUBLISH cut short (no packet id room)
    Buffer.concat([connect(), Buffer.from([0x36, 0x06, 0x00, 0x01, 0x61, 0x00, 0x01, 0x00])]), // QoS 3 PUBLISH
  ];
  let closed = 0;
  await Promise.all(cases.map(async (bytes) => {
    let socket;
    try {
      socket = await socketOpen(port);
    } catch {
      return;
    }
    const gone = new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      socket.once("close", () => { clearTimeout(timer); resolve(true); });
    });
    socket.resume(); // read what the server answers (a CONNACK, a DISCONNECT), so its FIN is seen
    socket.write(bytes);
    if (await gone) closed++;
    socket.destroy();
  }));
  return { sent: cases.length, closed };
}

/**
 * Connect/disconnect churn with wills: `count` connections, each with a will on `willTopic`
 * (payload: its client id); every other one ends with DISCONNECT (no will), the rest are cut
 * (socket destroyed: the will is owed). Resolves with { connected, cut: [client ids whose will
 * is owed], clean }.
 */
export async function churnWithWills(port, { count, prefix = "churn", willTopic, parallel = 4, timeoutMs = 30000 }) {
  const deadline = Date.now() + timeoutMs;
  const result = { connected: 0, cut: [], clean: 0 };
  let next = 0;
  const worker = async () => {
    while (next < count && Date.now() < deadline) {
      const n = next++;
      const clientId = `${prefix}-${n}`;
      const { socket } = await mqttOpen(port, clientId, { keepalive: 30, will: { topic: willTopic, payload: Buffer.from(clientId), qos: 1 } });
      if (socket === null) continue;
      result.connected++;
      const closed = new Promise((resolve) => socket.once("close", resolve));
      if (n % 2 === 0) {
        socket.end(DISCONNECT_BYTES);
        result.clean++;
        const timer = setTimeout(() => socket.destroy(), 1000);
        await closed;
        clearTimeout(timer);
      } else {
        socket.destroy();
        result.cut.push(clientId);
        await closed;
      }
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return result;
}

export { DISCONNECT_BYTES, PINGREQ_BYTES };
