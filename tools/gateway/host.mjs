// The Node host of the WASM broker core: sockets in, sockets out, security answers — nothing
// else. It owns the listeners (TCP, TLS, WebSocket) and the timers; the core owns every MQTT
// decision.
//
// Batching (DESIGN.md §6): one crossing into WASM per socket read (more only when a read is
// larger than the receive window, or when the core pauses input until its acknowledgements
// are collected), and everything bound for one socket gathered into one write per turn of the
// event loop. Unconsumed bytes (a packet split across reads) stay here, in `pending`.
//
// Security: the core asks through two imports. `authenticate` checks a CONNECT against
// allow_anonymous and the password file (hashing is Node's crypto: see passwords.mjs for why it
// lives here); with use_identity_as_username the TLS client certificate's CN is the user name.
// `authorize` checks a topic against the ACL for the client id's identity.
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
};
const INIT_FLASH_ERRORS = { [-100]: "the flash file cannot be read", [-101]: "a flash sector cannot hold the largest packet (raise sectorSize)" };
export const COUNTERS = ["messagesReceived", "messagesSent", "bytesReceived", "bytesSent", "refusedConnections",
  "protocolErrors", "dropQueueFull", "dropPoolFull", "dropTooLarge", "dropExpired", "denied", "storeFull", "storeFailed",
  "restoreDropped"];
const EVENT_CLOSE = 1;
const POLL_INTERVAL_MS = 250;
const ACCESS_NAMES = { 1: "read", 2: "write", 4: "subscribe" };
const REASON_BAD_CREDENTIALS = 0x86;
const REASON_NOT_AUTHORIZED = 0x87;

const nowMs = () => performance.now() | 0;
const utf8 = new TextDecoder();

export class BrokerHost {
  /**
   * `limits`: { name: value } with names from LIMIT_IDS (a board profile's `limits`).
   * `security`: { allowAnonymous = true, passwords: Map | null, acl: object | null }.
   * `flash`: { path, sectorSize, sectorCount, writeSize } keeps persistent sessions, their
   * queues and subscriptions, QoS 2 receipts and retained messages in a flash file, restored
   * here at start-up (`this.restored` records); null keeps everything in RAM.
   */
  constructor({ wasm = new URL("../../build/wasm/wrenmq-broker.wasm", import.meta.url), limits = {}, security = {}, flash = null } = {}) {
    this.allowAnonymous = security.allowAnonymous ?? true;
    this.passwords = security.passwords ?? null;
    this.acl = security.acl ?? null;
    this.identities = new Map(); // client id -> { clientId, username }
    this.links = new Map(); // slot -> link
    const module = new WebAssembly.Module(readFileSync(wasm));
    this.flash = flash ? new FileFlash(flash.path, { ...flash, sync: "barrier" }) : null;
    const env = {
      abort: (m, f, line, column) => { throw new Error(`wasm abort at ${line}:${column}`); },
      authenticate: (...args) => this.authenticate(...args),
      authorize: (...args) => this.authorize(...args),
      ...(this.flash ? this.flash.imports(() => this.core.memory) : NO_FLASH),
    };
    this.core = new WebAssembly.Instance(module, { env }).exports;
    for (const [name, value] of Object.entries(limits)) {
      const id = LIMIT_IDS[name];
      if (id === undefined) throw new Error(`unknown limit ${name}`);
      this.core.limitSet(id, typeof value === "boolean" ? Number(value) : value);
    }
    const asksAtConnect = !this.allowAnonymous || this.passwords !== null || this.acl !== null;
    this.core.securityUse(asksAtConnect ? 1 : 0, this.acl !== null ? 1 : 0);
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
    this.servers = [];
    this.flushQueued = false;
    this.timer = setInterval(() => this.tick(), POLL_INTERVAL_MS);
    this.timer.unref();
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
    };
    const identityFromCertificate = Boolean(tlsOptions?.useIdentityAsUsername);
    if (protocol === "websockets") {
      server = secure ? https.createServer(secure) : http.createServer();
      const wss = new WebSocketServer({ server, handleProtocols: (protocols) => (protocols.has("mqtt") ? "mqtt" : false) });
      wss.on("connection", (ws, request) => this.accept(webSocketLink(ws, request.socket, identityFromCertificate)));
    } else if (secure) {
      server = tls.createServer(secure, (socket) => this.accept(socketLink(socket, identityFromCertificate)));
    } else {
      server = net.createServer({ noDelay: true }, (socket) => this.accept(socketLink(socket, false)));
    }
    this.servers.push(server);
    await new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, resolve);
    });
    return server.address();
  }

  accept(link) {
    const slot = this.core.open(nowMs());
    if (slot < 0) {
      link.destroy(); // counted by the core as a refused connection
      return;
    }
    link.slot = slot;
    this.links.set(slot, link);
    link.onData = (chunk) => this.receive(slot, link, chunk);
    link.onClose = () => {
      if (this.links.get(slot) !== link) return;
      this.links.delete(slot);
      this.core.closed(slot, nowMs());
      this.afterCore();
    };
  }

  // ---- bytes in, bytes out ---------------------------------------------------------------------

  receive(slot, link, chunk) {
    if (link.closing) return;
    const data = link.pending ? Buffer.concat([link.pending, chunk]) : chunk;
    link.pending = null;
    let offset = 0;
    while (offset < data.length) {
      const length = Math.min(this.rxSize, data.length - offset);
      this.rx.set(data.subarray(offset, offset + length), 0);
      const used = this.core.input(slot, nowMs(), length);
      offset += used;
      // Short of `length`: the last packet is incomplete, or input paused until acknowledgements
      // or deliveries are collected (back-pressure). Collecting nothing means the former.
      if (used < length && this.collectWritable() === 0) break;
    }
    if (offset < data.length) link.pending = Buffer.from(data.subarray(offset));
    this.afterCore();
  }

  /** Moves everything the core has for `slot` into its write list. Returns the byte count. */
  collect(slot, link) {
    let total = 0;
    for (;;) {
      const length = this.core.output(slot, nowMs());
      if (length === 0) break;
      link.out.push(Buffer.from(this.tx.subarray(0, length))); // copied: the next call reuses tx
      total += length;
    }
    return total;
  }

  /** Collects output for every slot the core marked writable. Returns the byte count. */
  collectWritable() {
    let total = 0;
    for (let slot = this.core.nextWritable(); slot >= 0; slot = this.core.nextWritable()) {
      const link = this.links.get(slot);
      if (link) total += this.collect(slot, link);
    }
    return total;
  }

  /** After any call into the core: collect output for writable slots, act on events, flush once per turn. */
  afterCore() {
    this.collectWritable();
    for (let event = this.core.nextEvent(); event >= 0; event = this.core.nextEvent()) {
      const link = this.links.get(event & 0xffffff);
      if (link && event >>> 24 === EVENT_CLOSE) {
        this.collect(link.slot, link);
        link.closing = true;
      }
    }
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
    let synced = this.flash === null;
    for (const link of this.links.values()) {
      if (link.out.length > 0) {
        if (!synced) {
          this.flash.sync();
          synced = true;
        }
        link.write(link.out.length === 1 ? link.out[0] : Buffer.concat(link.out));
        link.out = [];
      }
      if (link.closing) link.end();
    }
  }

  tick() {
    this.core.poll(nowMs());
    this.afterCore();
  }

  // ---- security ---------------------------------------------------------------------------------

  text(pointer, length) {
    return utf8.decode(new Uint8Array(this.memory, pointer, length));
  }

  authenticate(slot, clientIdPointer, clientIdLength, usernamePointer, usernameLength, passwordPointer, passwordLength) {
    const clientId = this.text(clientIdPointer, clientIdLength);
    const link = this.links.get(slot);
    let username = usernameLength >= 0 ? this.text(usernamePointer, usernameLength) : null;
    if (link?.certificateName) {
      username = link.certificateName; // use_identity_as_username: the certificate vouches, no password asked
    } else if (link?.identityRequired) {
      return REASON_NOT_AUTHORIZED; // a listener that takes identities from certificates got none
    } else if (username === null) {
      if (!this.allowAnonymous) return REASON_NOT_AUTHORIZED;
    } else if (this.passwords !== null) {
      const entry = this.passwords.get(username);
      const password = Buffer.from(new Uint8Array(this.memory, passwordPointer, Math.max(passwordLength, 0)));
      if (!entry || passwordLength < 0 || !verifyPassword(entry, password)) return REASON_BAD_CREDENTIALS;
    }
    this.identities.set(clientId, { clientId, username });
    return 0;
  }

  authorize(clientIdPointer, clientIdLength, access, topicPointer, topicLength) {
    const clientId = this.text(clientIdPointer, clientIdLength);
    const identity = this.identities.get(clientId) ?? { clientId, username: null };
    return aclCheck(this.acl, identity, this.text(topicPointer, topicLength), ACCESS_NAMES[access]) ? 1 : 0;
  }

  counters() {
    return Object.fromEntries(COUNTERS.map((name, index) => [name, this.core.counter(index) >>> 0]));
  }

  async close() {
    clearInterval(this.timer);
    for (const link of this.links.values()) link.destroy();
    await Promise.all(this.servers.map((server) => new Promise((resolve) => server.close(resolve))));
    this.flash?.close();
    this.flash = null;
  }
}

/** The common name of a verified TLS client certificate, or null. */
function certificateName(socket) {
  if (!(socket instanceof tls.TLSSocket) || !socket.authorized) return null;
  return socket.getPeerCertificate()?.subject?.CN ?? null;
}

/** A TCP or TLS socket as a link. */
function socketLink(socket, identityFromCertificate) {
  const link = {
    slot: -1, pending: null, out: [], closing: false, onData: null, onClose: null,
    identityRequired: identityFromCertificate,
    certificateName: identityFromCertificate ? certificateName(socket) : null,
    write: (data) => socket.write(data),
    end: () => { if (!socket.writableEnded) socket.end(); },
    destroy: () => socket.destroy(),
  };
  socket.on("data", (chunk) => link.onData?.(chunk));
  socket.on("error", () => {}); // 'close' follows
  socket.on("close", () => link.onClose?.());
  return link;
}

/** A WebSocket (subprotocol "mqtt") as a link: binary frames carry the byte stream. */
function webSocketLink(ws, socket, identityFromCertificate) {
  const link = {
    slot: -1, pending: null, out: [], closing: false, onData: null, onClose: null,
    identityRequired: identityFromCertificate,
    certificateName: identityFromCertificate ? certificateName(socket) : null,
    write: (data) => ws.send(data),
    end: () => ws.close(),
    destroy: () => ws.terminate(),
  };
  ws.on("message", (data) => link.onData?.(Buffer.isBuffer(data) ? data : Buffer.from(data)));
  ws.on("error", () => {});
  ws.on("close", () => link.onClose?.());
  return link;
}
