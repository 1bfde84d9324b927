// The Node host of the WASM broker core: sockets in, sockets out, nothing else. It owns the
// listeners and the timers; the core owns every MQTT decision.
//
// Batching (DESIGN.md §6): one crossing into WASM per socket read (more only when a read is
// larger than the receive window, or when the core pauses input until its acknowledgements
// are collected), and everything bound for one socket gathered into one write per turn of
// the event loop. Unconsumed bytes (a packet split across reads) stay here, in `pending`.
import { readFileSync } from "node:fs";
import net from "node:net";
import { performance } from "node:perf_hooks";

export const LIMIT_IDS = {
  packetSizeMax: 1, propertyCountMax: 2, topicFilterCountMax: 3, connectionCountMax: 4, sessionCountMax: 5,
  subscriptionCountMax: 6, filterSizeMax: 7, clientIdSizeMax: 8, queueCountMax: 9, inflightCountMax: 10,
  incomingCountMax: 11, messageCountMax: 12, messageBytesMax: 13, retainedCountMax: 14, connectTimeoutMs: 15,
  keepAliveMaxSeconds: 16, retainAvailable: 17,
};
export const COUNTERS = ["messagesReceived", "messagesSent", "bytesReceived", "bytesSent", "refusedConnections",
  "protocolErrors", "dropQueueFull", "dropPoolFull", "dropTooLarge", "dropExpired"];
const EVENT_CLOSE = 1;
const POLL_INTERVAL_MS = 250;

const nowMs = () => performance.now() | 0;

export class BrokerHost {
  /** `limits`: { name: value } with names from LIMIT_IDS (a board profile's `limits`). */
  constructor({ wasm = new URL("../../build/wasm/wrenmq-broker.wasm", import.meta.url), limits = {} } = {}) {
    const module = new WebAssembly.Module(readFileSync(wasm));
    const instance = new WebAssembly.Instance(module, { env: { abort: (m, f, l, c) => { throw new Error(`wasm abort at ${l}:${c}`); } } });
    this.core = instance.exports;
    for (const [name, value] of Object.entries(limits)) {
      const id = LIMIT_IDS[name];
      if (id === undefined) throw new Error(`unknown limit ${name}`);
      this.core.limitSet(id, typeof value === "boolean" ? Number(value) : value);
    }
    const status = this.core.init();
    if (status !== 0) throw new Error(`the broker refused its limits (limitsCheck rule ${-status})`);
    const memory = this.core.memory.buffer; // initialMemory == maximumMemory: never detaches
    this.rxSize = this.core.rxSize();
    this.rx = new Uint8Array(memory, this.core.rxPointer(), this.rxSize);
    this.tx = new Uint8Array(memory, this.core.txPointer(), this.rxSize);
    this.sockets = new Map(); // slot -> { socket, pending: Buffer|null, out: Buffer[], closing }
    this.servers = [];
    this.flushQueued = false;
    this.timer = setInterval(() => this.tick(), POLL_INTERVAL_MS);
    this.timer.unref();
  }

  /** Starts a TCP listener; resolves with the bound address. */
  listen(port, host = "127.0.0.1") {
    const server = net.createServer({ noDelay: true }, (socket) => this.accept(socket));
    this.servers.push(server);
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => resolve(server.address()));
    });
  }

  accept(socket) {
    const slot = this.core.open(nowMs());
    if (slot < 0) {
      socket.destroy(); // counted by the core as a refused connection
      return;
    }
    const entry = { socket, pending: null, out: [], closing: false };
    this.sockets.set(slot, entry);
    socket.on("data", (chunk) => this.receive(slot, entry, chunk));
    socket.on("error", () => {}); // 'close' follows
    socket.on("close", () => {
      if (this.sockets.get(slot) !== entry) return;
      this.sockets.delete(slot);
      this.core.closed(slot, nowMs());
      this.afterCore();
    });
  }

  receive(slot, entry, chunk) {
    if (entry.closing) return;
    let data = entry.pending ? Buffer.concat([entry.pending, chunk]) : chunk;
    entry.pending = null;
    let offset = 0;
    while (offset < data.length) {
      const length = Math.min(this.rxSize, data.length - offset);
      this.rx.set(data.subarray(offset, offset + length), 0);
      const used = this.core.input(slot, nowMs(), length);
      offset += used;
      // Short of `length`: the last packet is incomplete, or input paused until the slot's
      // acknowledgements are collected. Collecting nothing means the former: wait for bytes.
      if (used < length && this.collect(slot, entry) === 0) break;
    }
    if (offset < data.length) entry.pending = Buffer.from(data.subarray(offset));
    this.afterCore();
  }

  /** Moves everything the core has for `slot` into its write list. Returns the byte count. */
  collect(slot, entry) {
    let total = 0;
    for (;;) {
      const length = this.core.output(slot, nowMs());
      if (length === 0) break;
      entry.out.push(Buffer.from(this.tx.subarray(0, length))); // copy out before the next call reuses tx
      total += length;
    }
    return total;
  }

  /** After any call into the core: collect output for writable slots, act on events, flush once per turn. */
  afterCore() {
    for (let slot = this.core.nextWritable(); slot >= 0; slot = this.core.nextWritable()) {
      const entry = this.sockets.get(slot);
      if (entry) this.collect(slot, entry);
    }
    for (let event = this.core.nextEvent(); event >= 0; event = this.core.nextEvent()) {
      const slot = event & 0xffffff;
      const entry = this.sockets.get(slot);
      if (entry && event >>> 24 === EVENT_CLOSE) {
        this.collect(slot, entry);
        entry.closing = true;
      }
    }
    if (!this.flushQueued) {
      this.flushQueued = true;
      setImmediate(() => this.flush());
    }
  }

  flush() {
    this.flushQueued = false;
    for (const entry of this.sockets.values()) {
      if (entry.out.length > 0) {
        entry.socket.write(entry.out.length === 1 ? entry.out[0] : Buffer.concat(entry.out));
        entry.out = [];
      }
      if (entry.closing && !entry.socket.writableEnded) entry.socket.end();
    }
  }

  tick() {
    this.core.poll(nowMs());
    this.afterCore();
  }

  counters() {
    return Object.fromEntries(COUNTERS.map((name, index) => [name, this.core.counter(index) >>> 0]));
  }

  async close() {
    clearInterval(this.timer);
    for (const entry of this.sockets.values()) entry.socket.destroy();
    await Promise.all(this.servers.map((server) => new Promise((resolve) => server.close(resolve))));
  }
}
