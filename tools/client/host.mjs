// The Node host of the client core: a socket (TCP or TLS), a timer, and the client's events as
// Node events. Every MQTT decision — what to send, when to ping, when to reconnect and how
// long to wait, what to resend — is the core's; this file moves bytes and keeps time.
//
// Batching as in the gateway (DESIGN.md §6): received bytes cross into the core once per read
// (more only when the core pauses for its acks or a delivered message), and output is gathered
// into one socket write per turn of the event loop. Back-pressure: while the socket's buffer is
// over `highWaterMark`, the host stops pulling output, so unsent messages wait in the core's
// bounded outbox (where the queue policy applies) rather than in Node's memory.
import { EventEmitter } from "node:events";
import net from "node:net";
import tls from "node:tls";
import { performance } from "node:perf_hooks";
import { DROP_NAMES, EVENT, HANDLE, OPTION, POLICY, CLIENT_COUNTERS, STATE_NAMES, loadClientCore } from "./core.mjs";

const nowMs = () => performance.now() | 0;
const utf8 = new TextEncoder();
const HIGH_WATER_MARK = 1 << 20;
const EMPTY = new Uint8Array(0);
/** HANDLE_* (firmware/client/events.ts) by number. */
const STATUS_NAMES = ["unknown", "pending", "done", "dropped", "failed"];
const tooLarge = () => Object.assign(new Error("message too large for the client's packet size"), { code: -40 });
const VERSIONS = { mqttv31: 3, mqttv311: 4, mqttv5: 5, 3: 3, 4: 4, 5: 5 };

export { POLICY, HANDLE, DROP_NAMES };

export class ClientHost extends EventEmitter {
  /**
   * `server`: { host, port, tls: { ca, cert, key, servername, rejectUnauthorized } | null,
   *   transport: null | () => a socket-like object (events connect/data/drain/close, write, end, destroy) }.
   * `options`: { version (3|4|5 or "mqttv311"…), clientId, username, password, keepAlive, clean,
   *   sessionExpiry, will: { topic, payload, qos, retain, delay }, reconnect: false | { minMs, maxMs },
   *   queuePolicy ("keepAll" | "dropOldest" | "latest"), pingTimeoutMs, bridge }.
   * `core`: a loaded core (core.mjs), or { build, limits, flash: { path, sectorSize, sectorCount,
   *   writeSize } } to load one; with `flash` the outbox and QoS 2 receipts live in that file and
   *   `recovered` says how many messages the last run left to send.
   */
  constructor({ server = {}, options = {}, core = {} } = {}) {
    super();
    this.server = { host: "127.0.0.1", port: 1883, tls: null, ...server };
    this.core = core.api ? core : loadClientCore(core);
    const { api } = this.core;
    this.api = api;
    this.socket = null;
    this.pending = null;
    this.outputQueued = false;
    this.timer = null;
    this.timerAt = 0;
    this.waiters = new Map(); // handle -> [resolve]
    this.stopped = null;
    this.configure(options);
    // With a flash store, what the last run left unfinished comes back now (sent on connect).
    this.recovered = this.core.flash ? api.restore(nowMs()) : 0;
  }

  configure(options) {
    const { api } = this;
    const set = (id, value) => {
      if (api.optionSet(id, Number(value)) !== 0) throw new Error(`option ${id} refused`);
    };
    const bytes = (id, value) => {
      const data = typeof value === "string" ? utf8.encode(value) : value;
      if (data.length > this.core.stage.length) throw new Error("option too long");
      this.core.stage.set(data, 0);
      if (api.optionBytes(id, data.length) !== 0) throw new Error("option too long for the client's buffer");
    };
    const version = VERSIONS[options.version ?? 4];
    if (!version) throw new Error(`unknown protocol version ${options.version}`);
    this.version = version;
    set(OPTION.version, version);
    set(OPTION.keepAlive, options.keepAlive ?? 60);
    set(OPTION.cleanStart, options.clean ?? true);
    if (options.sessionExpiry !== undefined) set(OPTION.sessionExpiry, options.sessionExpiry >>> 0 | 0);
    bytes(OPTION.clientId, options.clientId ?? "");
    if (options.username !== undefined && options.username !== null) bytes(OPTION.username, options.username);
    if (options.password !== undefined && options.password !== null) bytes(OPTION.password, options.password);
    if (options.will) {
      bytes(OPTION.willTopic, options.will.topic);
      bytes(OPTION.willPayload, options.will.payload ?? "");
      set(OPTION.willQos, options.will.qos ?? 0);
      set(OPTION.willRetain, options.will.retain ?? false);
      set(OPTION.willDelay, options.will.delay ?? 0);
    }
    if (options.reconnect === false) set(OPTION.reconnect, 0);
    else if (options.reconnect) {
      if (options.reconnect.minMs) set(OPTION.reconnectMinMs, options.reconnect.minMs);
      if (options.reconnect.maxMs) set(OPTION.reconnectMaxMs, options.reconnect.maxMs);
    }
    if (options.queuePolicy !== undefined) set(OPTION.queuePolicy, POLICY[options.queuePolicy] ?? options.queuePolicy);
    if (options.pingTimeoutMs) set(OPTION.pingTimeoutMs, options.pingTimeoutMs);
    if (options.bridge) set(OPTION.bridge, 1);
    set(OPTION.seed, (Math.random() * 0x7fffffff) | 1);
  }

  // ---- the application's calls ------------------------------------------------------------------

  start() {
    this.api.start(nowMs());
    this.turn();
    return this;
  }

  /** Resolves once connected (the next EVENT_CONNECTED); rejects on a refusal. */
  connected() {
    return new Promise((resolve, reject) => {
      const onConnect = (sessionPresent) => { this.off("refused", onRefused); resolve(sessionPresent); };
      const onRefused = (reason) => { this.off("connect", onConnect); reject(Object.assign(new Error(`connection refused: ${reasonText(reason, this.version)}`), { reason })); };
      this.once("connect", onConnect);
      this.once("refused", onRefused);
    });
  }

  /**
   * Queues a message. Returns its handle (> 0). Throws on a refusal that is the caller's
   * (bad topic, too large, queue full under keep-all): `error.code` is the core's ERR_* value.
   */
  publish(topic, payload, { qos = 0, retain = false, properties = null, policy = null } = {}) {
    // Strings are encoded straight into the staging window: no buffer per message (a
    // TextEncoder.encode per topic was 10-16% of a QoS 0 publish's time, BENCHMARKS.md).
    const topicLength = this.stagePut(topic, 0);
    const propertiesLength = properties ? this.stagePut(properties, topicLength) : 0;
    const payloadLength = this.stagePut(payload ?? EMPTY, topicLength + propertiesLength);
    const chosen = policy === null ? -1 : POLICY[policy] ?? policy; // -1: the client's queuePolicy option
    const handle = this.api.publish(topicLength, propertiesLength, payloadLength, qos, retain ? 1 : 0, chosen, nowMs());
    if (handle < 0) throw Object.assign(new Error(`publish refused (${handle})`), { code: handle });
    this.queueOutput();
    return handle;
  }

  /** Writes a string (as UTF-8) or bytes into the staging window at `offset`. Returns the byte count. */
  stagePut(value, offset) {
    const { stage } = this.core;
    if (typeof value === "string") {
      const { read, written } = utf8.encodeInto(value, stage.subarray(offset));
      if (read < value.length) throw tooLarge();
      return written;
    }
    if (offset + value.length > stage.length) throw tooLarge();
    stage.set(value, offset);
    return value.length;
  }

  /** `options`: a QoS number, or { qos, noLocal, retainAsPublished, retainHandling }. */
  subscribe(filter, options = 0) {
    const o = typeof options === "number" ? { qos: options } : options;
    const bits = (o.qos ?? 0) | (o.noLocal ? 4 : 0) | (o.retainAsPublished ? 8 : 0) | ((o.retainHandling ?? 0) << 4);
    const bytes = utf8.encode(filter);
    this.core.stage.set(bytes, 0);
    const handle = this.api.subscribe(bytes.length, bits);
    if (handle < 0) throw Object.assign(new Error(`subscribe refused (${handle})`), { code: handle });
    this.queueOutput();
    return handle;
  }

  unsubscribe(filter) {
    const bytes = utf8.encode(filter);
    this.core.stage.set(bytes, 0);
    const handle = this.api.unsubscribe(bytes.length);
    if (handle < 0) throw Object.assign(new Error(`unsubscribe refused (${handle})`), { code: handle });
    this.queueOutput();
    return handle;
  }

  /** "pending" | "done" | "dropped" | "failed" | "unknown". */
  status(handle) {
    return STATUS_NAMES[this.api.status(handle)];
  }

  /** Resolves with { status, reason } when `handle` finishes. */
  settled(handle) {
    const now = this.api.status(handle);
    if (now !== HANDLE.pending) return Promise.resolve({ status: this.status(handle), reason: 0 });
    return new Promise((resolve) => {
      const list = this.waiters.get(handle) ?? [];
      list.push(resolve);
      this.waiters.set(handle, list);
    });
  }

  counters() {
    return Object.fromEntries(CLIENT_COUNTERS.map((name, i) => [name, this.api.counter(i)]));
  }

  get state() {
    return STATE_NAMES[this.api.state()];
  }

  /** Disconnects cleanly (reason 0 discards the will) and stops reconnecting. Resolves when the socket is closed. */
  stop(reason = 0) {
    if (this.api.state() === 0) {
      this.clearTimer();
      return Promise.resolve();
    }
    this.stopped ??= new Promise((resolve) => this.once("stopped", () => {
      this.stopped = null; // the next stop() waits for its own close
      resolve();
    }));
    this.api.stop(nowMs(), reason);
    this.turn();
    if (this.api.state() === 0 && !this.socket) this.emit("stopped"); // was waiting to reconnect: no socket to close
    return this.stopped;
  }

  /** Drops the socket without a DISCONNECT (as a crash or a cut cable would). */
  destroySocket() {
    this.socket?.destroy();
  }

  // ---- the core's requests ----------------------------------------------------------------------

  turn() {
    this.drainEvents();
    this.flush();
    this.schedule();
  }

  drainEvents() {
    const { api } = this;
    for (let kind = api.nextEvent(); kind !== EVENT.none; kind = api.nextEvent()) {
      const handle = api.eventHandle();
      const reason = api.eventReason();
      switch (kind) {
        case EVENT.open: this.open(); break;
        case EVENT.close: this.closeSocket(); break;
        case EVENT.connected: this.emit("connect", reason === 1); break;
        case EVENT.refused: this.emit("refused", reason); break;
        case EVENT.disconnected: this.emit("disconnect", reason); break;
        case EVENT.message: this.deliver(); break;
        // The event carries the core's verdict (a PUBCOMP 0x92 in recovery is done, not failed).
        case EVENT.published: this.settle(handle, STATUS_NAMES[api.eventState()], reason, "published"); break;
        case EVENT.dropped: this.settle(handle, "dropped", reason, "dropped"); break;
        case EVENT.subscribed: this.settle(handle, STATUS_NAMES[api.eventState()], reason, "subscribed"); break;
        case EVENT.unsubscribed: this.settle(handle, STATUS_NAMES[api.eventState()], reason, "unsubscribed"); break;
      }
    }
  }

  settle(handle, status, reason, name) {
    this.emit(name, handle, reason);
    const list = this.waiters.get(handle);
    if (!list) return;
    this.waiters.delete(handle);
    for (const resolve of list) resolve({ status, reason });
  }

  deliver() {
    const { api, stage } = this.core;
    const topicLength = api.messageCopy();
    const payloadLength = api.messagePayloadLength();
    const propertiesLength = api.messagePropertiesLength();
    const flags = api.messageFlags();
    const topic = Buffer.from(stage.subarray(0, topicLength)).toString("utf8");
    const payload = Buffer.from(stage.subarray(topicLength, topicLength + payloadLength));
    const properties = propertiesLength > 0 ? Buffer.from(stage.subarray(topicLength + payloadLength, topicLength + payloadLength + propertiesLength)) : null;
    this.emit("message", topic, payload, { qos: flags & 3, retain: (flags & 4) !== 0, dup: (flags & 8) !== 0, properties });
  }

  open() {
    const { host, port, tls: secure, transport } = this.server;
    const socket = transport ? transport() : secure
      ? tls.connect({ host, port, ca: secure.ca, cert: secure.cert, key: secure.key, servername: secure.servername ?? (net.isIP(host) ? undefined : host), rejectUnauthorized: secure.rejectUnauthorized ?? true })
      : net.connect({ host, port, noDelay: true });
    this.socket = socket;
    this.pending = null;
    socket.setNoDelay?.(true);
    socket.once(secure && !transport ? "secureConnect" : "connect", () => {
      if (this.socket !== socket) return;
      this.api.opened(nowMs());
      this.turn();
    });
    socket.on("data", (chunk) => {
      if (this.socket === socket) this.receive(chunk);
    });
    socket.on("drain", () => this.queueOutput());
    socket.on("error", (error) => this.emit("socketError", error));
    socket.on("close", () => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.api.closed(nowMs());
      this.turn();
      if (this.api.state() === 0) this.emit("stopped");
    });
  }

  closeSocket() {
    const socket = this.socket;
    if (!socket) return;
    this.flush();
    socket.end();
    socket.destroySoon?.();
    setTimeout(() => socket.destroy(), 1000).unref();
  }

  receive(chunk) {
    const { api, rx } = this.core;
    let data = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    let stalled = 0;
    while (data.length > 0 && this.socket) {
      const length = Math.min(data.length, rx.length);
      rx.set(data.subarray(0, length), 0);
      const used = api.input(nowMs(), length);
      data = data.subarray(used);
      this.drainEvents();
      this.flush();
      if (used === 0 && ++stalled > 1) break; // needs more bytes
      if (used > 0) stalled = 0;
    }
    this.pending = data.length > 0 ? Buffer.from(data) : null;
    this.schedule();
  }

  queueOutput() {
    if (this.outputQueued) return;
    this.outputQueued = true;
    setImmediate(() => {
      this.outputQueued = false;
      this.turn();
    });
  }

  flush() {
    const { api, tx } = this.core;
    const socket = this.socket;
    const chunks = [];
    let total = 0;
    const now = nowMs();
    while (!socket || socket.writableLength + total < HIGH_WATER_MARK) {
      const length = api.output(now);
      if (length === 0) break;
      chunks.push(Buffer.from(tx.subarray(0, length)));
      total += length;
      this.drainEvents(); // QoS 0 publishes finish as they are written
    }
    if (total > 0 && socket && !socket.destroyed) socket.write(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, total));
  }

  schedule() {
    if (this.api.state() === 0) {
      this.clearTimer(); // idle: nothing to time, and nothing should keep the process alive
      return;
    }
    const now = nowMs();
    const at = this.api.pollAtMs(now);
    const delay = Math.max(0, (at - now) | 0);
    if (this.timer && ((this.timerAt - at) | 0) <= 0 && ((this.timerAt - now) | 0) >= 0) return;
    this.clearTimer();
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.api.poll(nowMs());
      this.turn();
    }, delay + 1);
  }

  clearTimer() {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}

const CONNACK_3 = { 1: "unacceptable protocol version", 2: "identifier rejected", 3: "server unavailable", 4: "bad user name or password", 5: "not authorized" };
const REASONS_5 = {
  0x80: "unspecified error", 0x81: "malformed packet", 0x82: "protocol error", 0x83: "implementation specific error",
  0x84: "unsupported protocol version", 0x85: "client identifier not valid", 0x86: "bad user name or password",
  0x87: "not authorized", 0x88: "server unavailable", 0x89: "server busy", 0x8a: "banned", 0x8c: "bad authentication method",
  0x8d: "keep alive timeout", 0x8e: "session taken over", 0x90: "topic name invalid", 0x93: "receive maximum exceeded",
  0x94: "topic alias invalid", 0x95: "packet too large", 0x97: "quota exceeded", 0x99: "payload format invalid",
  0x9a: "retain not supported", 0x9b: "QoS not supported", 0x9c: "use another server", 0x9d: "server moved",
  0x9f: "connection rate exceeded",
};

/** Words for a CONNACK return code (3.x) or a 5.0 reason code. */
export function reasonText(reason, version = 5) {
  const text = version === 5 ? REASONS_5[reason] : CONNACK_3[reason];
  return `${text ?? "reason"} (0x${reason.toString(16).padStart(2, "0")})`;
}
