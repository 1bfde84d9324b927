// The Node host of the WASM broker core: sockets in, sockets out, security answers — nothing
// else. It owns the listeners (TCP, TLS, WebSocket) and the timers; the core owns every MQTT
// decision.
//
// Batching (DESIGN.md §6): one crossing into WASM per socket read (more only when a read is
// larger than the receive window, or when the core pauses input until output is collected), and
// everything bound for one socket gathered into one write per turn of the event loop.
//
// Every byte held for a peer is bounded:
// - input: unconsumed bytes (a packet split across reads, or input the core paused) wait in
//   `link.pending`; while the core pauses a link, its socket is not read, so that is at most one
//   read (64 KB, or one WebSocket frame) beyond a packet, and a packet is bounded by the core
//   (connectSizeMax before CONNECT, packetSizeMax after). WebSocket frames are refused past those
//   two sizes before they are buffered.
// - output: at most `outputBytesMax` (mosquitto.conf max_queued_bytes, else the board's) waits
//   in `link.out` and the socket's buffer. Past it the host stops collecting the slot's output
//   and tells the core it is congested: QoS 0 copies for it are dropped (counted in $SYS),
//   QoS 1/2 wait in its session queue, and its own replies (PINGRESP, acks) wait in its control
//   buffer — when that fills, the core stops taking its input and the host stops reading it.
//   A drain undoes it.
// - a close the core decides flushes what is owed (a DISCONNECT with its reason), ends the
//   socket, and destroys it after CLOSE_LINGER_MS whatever the peer does; the slot is freed and
//   the will published at once, not when the peer finally closes.
// - a publisher the core paused because a subscriber's queue is full (back-pressure instead of
//   loss) is offered its input again whenever output moved, and on every tick (the core stops
//   waiting for a subscriber that makes no progress after queueWaitMs).
//
// Security: the core asks through two imports. `authenticate` checks a CONNECT against
// allow_anonymous and the password file (hashing is Node's crypto: see passwords.mjs for why it
// lives here); with use_identity_as_username the TLS client certificate's CN is the user name,
// handed to the core at accept. `authorize` checks a topic against the ACL for the client id and
// user name the core passes — the core keeps them per session, so nothing here grows with logins.
//
// Events, for the operator's log (main.mjs): 'accept', 'connect', 'disconnect', 'refuse',
// 'warning' (see the README of tools/gateway in main.mjs's header for the fields).
import { EventEmitter } from "node:events";
import { readFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import net from "node:net";
import tls from "node:tls";
import { performance } from "node:perf_hooks";
import { WebSocketServer } from "ws";
import { verifyPassword } from "./passwords.mjs";
import { aclCheck } from "./acl.mjs";
import { FileFlash, NO_FLASH } from "../client/flash_file.mjs";

export const LIMIT_IDS = {
  packetSizeMax: 1, propertyCountMax: 2, topicFilterCountMax: 3, connectionCountMax: 4, sessionCountMax: 5,
  subscriptionCountMax: 6, filterSizeMax: 7, clientIdSizeMax: 8, queueCountMax: 9, inflightCountMax: 10,
  incomingCountMax: 11, messageCountMax: 12, messageBytesMax: 13, retainedCountMax: 14, connectTimeoutMs: 15,
  keepAliveMaxSeconds: 16, retainAvailable: 17, sysIntervalSeconds: 18, topicAliasCountMax: 19,
  outgoingCountMax: 20, storeBytesMax: 21, clientSubscriptionCountMax: 22, storeRecordCountMax: 23,
  persistentExpirySeconds: 24, sessionsPerUserMax: 25, connectingCountMax: 26, connectSizeMax: 27, usernameSizeMax: 28,
  queueWaitMs: 29,
};
/** Limits of this host, not the core's (board profile `limits`, BrokerHost `limits`). */
const HOST_LIMITS = { outputBytesMax: 262144 };
const INIT_FLASH_ERRORS = { [-100]: "the flash file cannot be read", [-101]: "a flash sector cannot hold the largest packet (raise sectorSize)" };
export const COUNTERS = ["messagesReceived", "messagesSent", "bytesReceived", "bytesSent", "refusedConnections",
  "protocolErrors", "dropQueueFull", "dropPoolFull", "dropTooLarge", "dropExpired", "denied", "storeFull", "storeFailed",
  "restoreDropped", "connectAbandoned", "dropCongested"];
const EVENT_CLOSE = 1;
const EVENT_CONNECTED = 2;
const CLOSE_BY_CLIENT = 0x100;
const CLOSE_CONNECT_TIMEOUT = 0x200;
const CLOSE_PUSHED_OUT = 0x201;
const INPUT_SUBSCRIBER_FULL = 3;
const POLL_INTERVAL_MS = 250;
/** A socket the server closed is destroyed this long after its last bytes were handed over. */
const CLOSE_LINGER_MS = 2000;
const ACCESS_NAMES = { 1: "read", 2: "write", 4: "subscribe" };
const REASON_BAD_CREDENTIALS = 0x86;
const REASON_NOT_AUTHORIZED = 0x87;
/** MQTT 5 reason codes a close can carry, in words for the log (MQTT 5 §2.4). */
const REASON_TEXT = {
  0x00: "normal disconnection", 0x04: "disconnect with will", 0x80: "unspecified error", 0x81: "malformed packet",
  0x82: "protocol error", 0x83: "implementation specific error", 0x84: "unsupported protocol version",
  0x85: "client identifier not valid", 0x86: "bad user name or password", 0x87: "not authorised", 0x89: "server busy",
  0x8c: "bad authentication method", 0x8d: "exceeded timeout", 0x8e: "session taken over", 0x93: "receive maximum exceeded",
  0x94: "topic alias invalid", 0x95: "packet too large", 0x97: "quota exceeded", 0x9a: "retain not supported",
};

const nowMs = () => performance.now() | 0;
const utf8 = new TextDecoder();

export class BrokerHost extends EventEmitter {
  /**
   * `limits`: { name: value } with names from LIMIT_IDS (a board profile's `limits`), and
   * `outputBytesMax` for this host.
   * `security`: { allowAnonymous = true, passwords: Map | null, acl: object | null }.
   * `flash`: { path, sectorSize, sectorCount, writeSize } keeps persistent sessions, their
   * queues and subscriptions, QoS 2 receipts and retained messages in a flash file, restored
   * here at start-up (`this.restored` records); null keeps everything in RAM.
   */
  constructor({ wasm = new URL("../../build/wasm/wrenmq-broker.wasm", import.meta.url), limits = {}, security = {}, flash = null } = {}) {
    super();
    this.links = new Map(); // slot -> link
    this.waiting = new Set(); // links whose input the core paused until a subscriber drains
    const module = new WebAssembly.Module(readFileSync(wasm));
    this.flash = flash ? new FileFlash(flash.path, { ...flash, sync: "barrier" }) : null;
    const env = {
      abort: (m, f, line, column) => { throw new Error(`wasm abort at ${line}:${column}`); },
      authenticate: (...args) => this.authenticate(...args),
      authorize: (...args) => this.authorize(...args),
      ...(this.flash ? this.flash.imports(() => this.core.memory) : NO_FLASH),
    };
    this.core = new WebAssembly.Instance(module, { env }).exports;
    this.outputBytesMax = limits.outputBytesMax ?? HOST_LIMITS.outputBytesMax;
    for (const [name, value] of Object.entries(limits)) {
      if (name in HOST_LIMITS) continue;
      const id = LIMIT_IDS[name];
      if (id === undefined) throw new Error(`unknown limit ${name}`);
      this.core.limitSet(id, typeof value === "boolean" ? Number(value) : value);
    }
    this.securitySet(security);
    const status = this.flash
      ? this.core.initWithFlash(this.flash.sectorSize, this.flash.sectorCount, this.flash.writeSize, nowMs())
      : this.core.init();
    if (status !== 0) {
      this.flash?.close();
      throw new Error(INIT_FLASH_ERRORS[status] ?? `the broker refused its limits (limitsCheck rule ${-status})`);
    }
    /** Records restored from the flash file, and records whose CRC failed (torn or corrupted: not used). */
    this.restored = this.core.restored();
    this.corrupt = this.core.storeCorrupt();
    this.memory = this.core.memory.buffer; // initialMemory == maximumMemory: never detaches
    this.rxSize = this.core.rxSize();
    this.rx = new Uint8Array(this.memory, this.core.rxPointer(), this.rxSize);
    this.tx = new Uint8Array(this.memory, this.core.txPointer(), this.rxSize);
    this.connectSizeMax = Math.min(limits.connectSizeMax ?? 16384, this.rxSize);
    this.connectTimeoutMs = limits.connectTimeoutMs ?? 10000;
    this.servers = [];
    this.closingLinks = new Set(); // links the server closed, ended at the next flush
    this.flushQueued = false;
    this.synced = true; // within a flush: whether the flash was synced before the first write
    this.progress = false;
    this.timer = setInterval(() => this.tick(), POLL_INTERVAL_MS);
    this.timer.unref();
  }

  /** Sets (or, after a reload, replaces) the password table, the ACL and allow_anonymous. */
  securitySet({ allowAnonymous = true, passwords = null, acl = null } = {}) {
    this.allowAnonymous = allowAnonymous;
    this.passwords = passwords;
    this.acl = acl;
    const asksAtConnect = !this.allowAnonymous || this.passwords !== null || this.acl !== null;
    this.core.securityUse(asksAtConnect ? 1 : 0, this.acl !== null ? 1 : 0);
  }

  /**
   * SIGHUP: new password and ACL tables (parsed by the caller). They apply to every CONNECT and
   * every check from now on, including deliveries to sessions opened before.
   */
  securityReload({ passwords = this.passwords, acl = this.acl, allowAnonymous = this.allowAnonymous } = {}) {
    this.securitySet({ allowAnonymous, passwords, acl });
  }

  // ---- listeners ------------------------------------------------------------------------------

  /**
   * Starts a listener; resolves with its bound address. `tls`: { cert, key, ca, requestCert,
   * useIdentityAsUsername } (PEM contents). `protocol`: "mqtt" or "websockets".
   */
  async listen(options = {}) {
    if (typeof options !== "object" || options === null) throw new TypeError("listen({ port, host, protocol, tls })");
    const { port = 1883, host = "127.0.0.1", protocol = "mqtt", tls: tlsOptions = null } = options;
    let server;
    const secure = tlsOptions && {
      cert: tlsOptions.cert, key: tlsOptions.key, ca: tlsOptions.ca,
      requestCert: Boolean(tlsOptions.requestCert || tlsOptions.useIdentityAsUsername),
      rejectUnauthorized: Boolean(tlsOptions.requestCert),
      handshakeTimeout: this.connectTimeoutMs, // a TLS handshake is part of the time allowed to CONNECT
    };
    const identityFromCertificate = Boolean(tlsOptions?.useIdentityAsUsername);
    if (protocol === "websockets") {
      server = secure ? https.createServer(secure) : http.createServer();
      server.headersTimeout = this.connectTimeoutMs; // the HTTP upgrade too
      server.requestTimeout = this.connectTimeoutMs;
      // Frames are refused from their header on: before CONNECT past connectSizeMax (see
      // webSocketLink), after it past the packet size; never compressed (no inflation bombs).
      const wss = new WebSocketServer({
        server, maxPayload: this.rxSize, perMessageDeflate: false, clientTracking: false,
        handleProtocols: (protocols) => (protocols.has("mqtt") ? "mqtt" : false),
      });
      wss.on("connection", (ws, request) => this.accept(webSocketLink(ws, request.socket, identityFromCertificate, this.connectSizeMax), port));
    } else if (secure) {
      server = tls.createServer(secure, (socket) => this.accept(socketLink(socket, identityFromCertificate), port));
    } else {
      server = net.createServer({ noDelay: true }, (socket) => this.accept(socketLink(socket, false), port));
    }
    this.servers.push(server);
    await new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, resolve);
    });
    const address = server.address();
    if (port === 0) server.wrenmqPort = address.port;
    return address;
  }

  /** A new link (a socket, a WebSocket, the bridge's in-process pipe) from listener port `listener`. */
  accept(link, listener = 0) {
    const slot = this.core.open(nowMs());
    if (slot < 0) {
      link.destroy(); // counted by the core as a refused connection
      return;
    }
    link.slot = slot;
    link.listener = listener;
    this.links.set(slot, link);
    if (link.certificateName !== null && link.certificateName !== undefined) {
      const name = Buffer.from(link.certificateName);
      this.rx.set(name.subarray(0, this.rxSize), 0);
      if (this.core.connectionIdentity(slot, name.length) !== 0) link.certificateName = null; // too long to keep: refused at CONNECT
    }
    if (link.internal) this.core.connectionInternal(slot);
    link.onData = (chunk) => this.receive(link, chunk);
    link.onDrain = () => this.drained(link);
    link.onClose = () => this.peerClosed(link);
    if (this.listenerCount("accept") > 0) this.emit("accept", { address: link.address, listener });
    this.afterCore(); // a socket that had to make room (pushed out) is closed now
  }

  // ---- bytes in ---------------------------------------------------------------------------------

  receive(link, chunk) {
    if (link.closing) return;
    link.pending = link.pending ? Buffer.concat([link.pending, chunk]) : chunk;
    this.feed(link);
    this.afterCore();
  }

  /**
   * Offers `link.pending` to the core, a receive window at a time, until it is consumed, a
   * packet is incomplete, or the core pauses input; a paused link stops being read and waits
   * in `this.waiting` until output moves.
   */
  feed(link) {
    const slot = link.slot;
    let offset = 0;
    let paused = false;
    while (link.pending !== null && offset < link.pending.length && !link.closing) {
      const data = link.pending;
      const length = Math.min(this.rxSize, data.length - offset);
      this.rx.set(data.subarray(offset, offset + length), 0);
      const used = this.core.input(slot, nowMs(), length);
      offset += used;
      if (used > 0) this.progress = true;
      if (used === length) continue;
      const blocked = this.core.inputBlocked(slot);
      if (blocked === 0) {
        // A packet the core could not finish: cut by the receive window (then the next window
        // starts with it, and a packet never exceeds the window), or by the end of what arrived.
        if (used > 0 && offset + length - used < data.length) continue;
        break;
      }
      // Paused until output is collected (its control buffer, a subscriber at half) or until
      // a full subscriber drains: collect what can be, then try again or wait.
      if (this.collectWritable() === 0 || blocked === INPUT_SUBSCRIBER_FULL) {
        paused = true;
        break;
      }
    }
    if (link.pending !== null) link.pending = offset < link.pending.length ? link.pending.subarray(offset) : null;
    if (paused && !link.closing) {
      if (!this.waiting.has(link)) {
        this.waiting.add(link);
        link.pauseReading();
      }
    } else if (this.waiting.delete(link)) {
      link.resumeReading();
    }
  }

  /** Offers paused links their input again (output moved, or time passed). */
  retryWaiting() {
    for (const link of [...this.waiting]) {
      if (link.closing || this.links.get(link.slot) !== link) {
        this.waiting.delete(link);
        continue;
      }
      this.feed(link);
    }
  }

  // ---- bytes out --------------------------------------------------------------------------------

  /** Bytes held for `link`: collected but not yet written, and written but not yet sent. */
  held(link) {
    return link.outBytes + link.queued();
  }

  /**
   * Moves what the core has for `link` into its write list, while the bytes held for it stay
   * under `outputBytesMax` (a final close collects everything: only the control buffer is left).
   * Marks the link congested when it stops short. Returns the byte count.
   */
  collect(link, all = false) {
    let total = 0;
    while (all || this.held(link) < this.outputBytesMax) {
      const length = this.core.output(link.slot, nowMs());
      if (length === 0) return total;
      link.out.push(Buffer.from(this.tx.subarray(0, length))); // copied: the next call reuses tx
      link.outBytes += length;
      total += length;
    }
    if (!link.congested) {
      link.congested = true;
      this.core.congestedSet(link.slot, 1);
    }
    return total;
  }

  /** Collects output for every slot the core marked writable. Returns the byte count. */
  collectWritable() {
    let total = 0;
    for (let slot = this.core.nextWritable(); slot >= 0; slot = this.core.nextWritable()) {
      const link = this.links.get(slot);
      if (link && !link.congested) total += this.collect(link);
    }
    if (total > 0) this.progress = true;
    return total;
  }

  /** The transport took bytes: a congested link below half its bound is collected again. */
  drained(link) {
    if (!link.congested || link.closing || this.held(link) >= this.outputBytesMax / 2) return;
    link.congested = false;
    this.core.congestedSet(link.slot, 0);
    this.collect(link);
    this.progress = true;
    this.afterCore();
  }

  /** After any call into the core: collect output, act on events, flush once per turn. */
  afterCore() {
    this.collectWritable();
    for (let kind = this.core.nextEvent(); kind >= 0; kind = this.core.nextEvent()) {
      const link = this.links.get(this.core.eventSlot());
      if (!link) continue;
      if (kind === EVENT_CONNECTED) this.connected(link);
      else if (kind === EVENT_CLOSE) this.serverClosed(link, this.core.eventReason());
    }
    this.collectWritable(); // what the events caused (a will published at a close)
    if (!this.flushQueued) {
      this.flushQueued = true;
      setImmediate(() => this.flush());
    }
  }

  flush() {
    this.flushQueued = false;
    // Ack after durable: what the core wrote to flash for these bytes is synced before the first
    // of them leaves. A turn with nothing to send leaves its writes (tombstones, mostly) to the
    // next sync: until then no acknowledgement depends on them, and losing them only repeats a
    // delivery.
    this.synced = this.flash === null;
    for (const link of this.links.values()) this.flushLink(link);
    for (const link of this.closingLinks) this.flushLink(link);
    this.closingLinks.clear();
    const retry = this.progress && this.waiting.size > 0;
    this.progress = false;
    if (retry) {
      this.retryWaiting();
      this.afterCore();
    }
  }

  /** Writes what was collected for `link`, syncing the flash first once per flush; ends it if closing. */
  flushLink(link) {
    if (link.out.length > 0) {
      if (!this.synced) {
        this.flash.sync();
        this.synced = true;
      }
      link.write(link.out.length === 1 ? link.out[0] : Buffer.concat(link.out));
      link.out = [];
      link.outBytes = 0;
      // A transport that took it all at once raises no 'drain': undo the congestion here.
      if (link.congested) this.drained(link);
    }
    if (link.closing) this.finish(link);
  }

  // ---- opening and closing ----------------------------------------------------------------------

  /** EVENT_CONNECTED: the CONNECT was accepted. */
  connected(link) {
    link.connected = true;
    link.raisePacketLimit?.(this.rxSize);
    if (this.listenerCount("connect") === 0) return;
    this.emit("connect", { ...this.identity(link), address: link.address, listener: link.listener,
      version: this.core.connectionVersion(link.slot), clean: this.core.connectionCleanStart(link.slot) === 1,
      keepAlive: this.core.connectionKeepAlive(link.slot) });
  }

  /**
   * EVENT_CLOSE: the core closed the connection. What it owes the peer is collected now, the slot
   * is freed (publishing the will) now, and the socket is ended at the flush and destroyed
   * CLOSE_LINGER_MS later if the peer has not closed it by then.
   */
  serverClosed(link, reason) {
    this.collect(link, true);
    const told = this.listenerCount("disconnect") + this.listenerCount("refuse") > 0;
    const identity = told ? this.identity(link) : null; // read before the slot is freed
    link.closing = true;
    this.links.delete(link.slot);
    this.waiting.delete(link);
    this.closingLinks.add(link);
    this.core.closed(link.slot, nowMs());
    this.progress = true;
    if (!told) return;
    const description = { ...identity, address: link.address, reason: closeText(reason), code: reason < 0x100 ? reason : null };
    if (link.connected) this.emit("disconnect", description);
    else if (reason !== CLOSE_CONNECT_TIMEOUT && reason !== CLOSE_PUSHED_OUT && identity.clientId !== null) this.emit("refuse", description);
    else this.emit("disconnect", description);
  }

  /** Ends a link the server closed; destroys it if it lingers. */
  finish(link) {
    if (link.finished) return;
    link.finished = true;
    link.end();
    const timer = setTimeout(() => link.destroy(), CLOSE_LINGER_MS);
    timer.unref();
    link.lingerTimer = timer;
  }

  /** The peer closed the socket (or it failed, or we destroyed it after the linger). */
  peerClosed(link) {
    clearTimeout(link.lingerTimer);
    this.waiting.delete(link);
    if (this.links.get(link.slot) !== link) return; // the server closed it: reported already
    const identity = this.listenerCount("disconnect") > 0 ? this.identity(link) : null; // before the slot is freed
    this.links.delete(link.slot);
    link.closing = true;
    this.core.closed(link.slot, nowMs());
    this.progress = true;
    if (identity !== null) this.emit("disconnect", { ...identity, address: link.address, reason: "closed its connection", code: null });
    this.afterCore();
  }

  /** The client id and user name the core holds for the link's slot (null before a CONNECT named them). */
  identity(link) {
    const slot = link.slot;
    const clientIdLength = this.core.connectionClientIdLength(slot);
    const usernameLength = this.core.connectionUsernameLength(slot);
    return {
      clientId: clientIdLength >= 0 ? this.text(this.core.connectionClientIdPointer(slot), clientIdLength) : null,
      username: usernameLength >= 0 ? this.text(this.core.connectionUsernamePointer(slot), usernameLength) : null,
    };
  }

  tick() {
    this.core.poll(nowMs());
    this.progress = true; // a publisher may have waited long enough for a subscriber that does not move
    this.afterCore();
  }

  // ---- security ---------------------------------------------------------------------------------

  text(pointer, length) {
    return utf8.decode(new Uint8Array(this.memory, pointer, length));
  }

  authenticate(slot, clientIdPointer, clientIdLength, usernamePointer, usernameLength, passwordPointer, passwordLength) {
    const link = this.links.get(slot);
    if (link?.internal) return 0; // the bridge's local side logs in as its local_username, if any, with no password (as Mosquitto)
    if (link?.certificateName) return 0; // use_identity_as_username: the certificate vouches, no password asked
    if (link?.identityRequired) return REASON_NOT_AUTHORIZED; // a listener that takes identities from certificates got none
    if (usernameLength < 0) return this.allowAnonymous ? 0 : REASON_NOT_AUTHORIZED;
    if (this.passwords === null) return 0;
    const entry = this.passwords.get(this.text(usernamePointer, usernameLength));
    const password = Buffer.from(new Uint8Array(this.memory, passwordPointer, Math.max(passwordLength, 0)));
    return entry && passwordLength >= 0 && verifyPassword(entry, password) ? 0 : REASON_BAD_CREDENTIALS;
  }

  authorize(clientIdPointer, clientIdLength, usernamePointer, usernameLength, access, topicPointer, topicLength) {
    const identity = {
      clientId: this.text(clientIdPointer, clientIdLength),
      username: usernameLength >= 0 ? this.text(usernamePointer, usernameLength) : null,
    };
    return aclCheck(this.acl, identity, this.text(topicPointer, topicLength), ACCESS_NAMES[access]) ? 1 : 0;
  }

  counters() {
    return Object.fromEntries(COUNTERS.map((name, index) => [name, this.core.counter(index) >>> 0]));
  }

  async close() {
    clearInterval(this.timer);
    for (const link of [...this.links.values(), ...this.closingLinks]) link.destroy();
    await Promise.all(this.servers.map((server) => new Promise((resolve) => server.close(resolve))));
    this.flash?.close();
    this.flash = null;
  }
}

/** A close reason from the core (EVENT_CLOSE), in words. */
function closeText(reason) {
  if (reason === CLOSE_CONNECT_TIMEOUT) return "no CONNECT in time";
  if (reason === CLOSE_PUSHED_OUT) return "pushed out before CONNECT by newer connections";
  if (reason >= CLOSE_BY_CLIENT && reason < CLOSE_BY_CLIENT + 0x100) return "disconnected";
  return REASON_TEXT[reason] ?? `reason 0x${reason.toString(16)}`;
}

/** The common name of a verified TLS client certificate, or null. */
function certificateName(socket) {
  if (!(socket instanceof tls.TLSSocket) || !socket.authorized) return null;
  return socket.getPeerCertificate()?.subject?.CN ?? null;
}

/**
 * The fields every link has; a transport adds write, end, destroy, queued (bytes it holds),
 * pauseReading and resumeReading, and calls onData, onDrain and onClose.
 */
export function linkNew(address, fields) {
  return {
    slot: -1, listener: 0, address, pending: null, out: [], outBytes: 0, closing: false, finished: false, connected: false,
    congested: false, lingerTimer: null, internal: false, identityRequired: false, certificateName: null,
    onData: null, onDrain: null, onClose: null, ...fields,
  };
}

/** A TCP or TLS socket as a link. */
function socketLink(socket, identityFromCertificate) {
  const link = linkNew(`${socket.remoteAddress}:${socket.remotePort}`, {
    identityRequired: identityFromCertificate,
    certificateName: identityFromCertificate ? certificateName(socket) : null,
    write: (data) => socket.write(data),
    end: () => { if (!socket.writableEnded) socket.end(); },
    destroy: () => socket.destroy(),
    queued: () => socket.writableLength,
    pauseReading: () => socket.pause(),
    resumeReading: () => socket.resume(),
  });
  socket.on("data", (chunk) => link.onData?.(chunk));
  socket.on("drain", () => link.onDrain?.());
  socket.on("error", () => {}); // 'close' follows
  socket.on("close", () => link.onClose?.());
  return link;
}

/**
 * A WebSocket (subprotocol "mqtt") as a link: binary frames carry the byte stream. Until the
 * CONNECT is accepted a frame may hold at most `connectSizeMax` bytes; then the packet size.
 */
function webSocketLink(ws, socket, identityFromCertificate, connectSizeMax) {
  const receiver = ws._receiver; // ws 8 checks `_maxPayload` on each frame header
  if (receiver && typeof receiver._maxPayload === "number") receiver._maxPayload = connectSizeMax;
  const link = linkNew(`${socket.remoteAddress}:${socket.remotePort}`, {
    identityRequired: identityFromCertificate,
    certificateName: identityFromCertificate ? certificateName(socket) : null,
    write: (data) => ws.send(data),
    end: () => ws.close(),
    destroy: () => ws.terminate(),
    queued: () => ws.bufferedAmount,
    pauseReading: () => ws.pause(),
    resumeReading: () => ws.resume(),
    raisePacketLimit: (size) => { if (receiver && typeof receiver._maxPayload === "number") receiver._maxPayload = size; },
  });
  ws.on("message", (data) => link.onData?.(Buffer.isBuffer(data) ? data : Buffer.from(data)));
  socket.on("drain", () => link.onDrain?.());
  ws.on("error", () => {});
  ws.on("close", () => link.onClose?.());
  return link;
}
