// Drives the broker core (test/harness/broker_driver.ts) with scripted bytes and a scripted
// clock — no sockets — in any of the three builds. Clients' packets are written with
// mqtt-packet (the reference JS codec) and what the broker sends is parsed back with it, so a
// scenario reads as the exchange it is.
import mqttPacket from "mqtt-packet";
import { loadBuild } from "./builds.mjs";
import { parse } from "./client_script.mjs";

/** Limit ids (firmware/limits.ts) the scripts set. */
const LIMIT = {
  packetSizeMax: 1, propertyCountMax: 2, topicFilterCountMax: 3, connectionCountMax: 4, sessionCountMax: 5,
  subscriptionCountMax: 6, filterSizeMax: 7, clientIdSizeMax: 8, queueCountMax: 9, inflightCountMax: 10,
  incomingCountMax: 11, messageCountMax: 12, messageBytesMax: 13, retainedCountMax: 14, connectTimeoutMs: 15,
  keepAliveMaxSeconds: 16, retainAvailable: 17, sysIntervalSeconds: 18, topicAliasCountMax: 19,
  persistentExpirySeconds: 24, sessionsPerUserMax: 25, connectingCountMax: 26, connectSizeMax: 27, usernameSizeMax: 28,
  queueWaitMs: 29,
};
/** Counter indexes (firmware/broker/counters.ts). */
export const COUNTER = {
  messagesReceived: 0, messagesSent: 1, refusedConnections: 4, protocolErrors: 5, dropQueueFull: 6, dropPoolFull: 7,
  dropExpired: 9, denied: 10, connectAbandoned: 14, dropCongested: 15,
};
export const EVENT = { close: 1, connected: 2 };
export const CLOSE = { byClient: 0x100, connectTimeout: 0x200, pushedOut: 0x201 };
export const INPUT = { flowing: 0, controlFull: 1, pressure: 2, subscriberFull: 3 };
export const ACCESS = { read: 1, write: 2, subscribe: 4, all: 7 };

export const SCRIPT_BROKER_LIMITS = {
  packetSizeMax: 4096, propertyCountMax: 16, topicFilterCountMax: 4, connectionCountMax: 8, sessionCountMax: 8,
  subscriptionCountMax: 32, filterSizeMax: 64, clientIdSizeMax: 32, queueCountMax: 16, inflightCountMax: 4,
  incomingCountMax: 4, messageCountMax: 64, messageBytesMax: 65536, retainedCountMax: 8, sysIntervalSeconds: 0,
};

const DAY_MS = 86400000;

/** A broker core under script. `now` (ms, a plain number) is ours to move; the core sees it wrapped to i32. */
export class BrokerScript {
  constructor(build, limits = {}) {
    this.harness = loadBuild(build);
    this.api = this.harness.exports;
    for (const [name, value] of Object.entries({ ...SCRIPT_BROKER_LIMITS, ...limits })) {
      if (this.api.brokerDriverLimit(LIMIT[name], Number(value)) !== 0) throw new Error(`limit ${name} unknown`);
    }
    const status = this.api.brokerDriverInit();
    if (status !== 0) throw new Error(`brokerDriverInit: limits refused (${status})`);
    this.now = 1000;
    this.clients = new Map(); // slot -> client
    this.events = [];
  }

  get nowMs() {
    return this.now | 0;
  }

  /** An ACL rule: `user` null for anonymous clients. */
  rule(user, topicPrefix, access) {
    const userBytes = user === null ? Buffer.alloc(0) : Buffer.from(user);
    const topicBytes = Buffer.from(topicPrefix);
    this.harness.input.set(Buffer.concat([userBytes, topicBytes]), 0);
    if (this.api.brokerDriverRule(user === null ? -1 : userBytes.length, topicBytes.length, access) !== 0) throw new Error("rule table full");
  }

  /** A client on a new socket. */
  client(version = 4) {
    const client = new ScriptClient(this, version);
    client.slot = this.api.brokerDriverOpen(this.nowMs);
    if (client.slot >= 0) this.clients.set(client.slot, client);
    this.takeEvents();
    return client;
  }

  /** Moves the clock by `ms`, running the timers at least once a day (as a host's timer would). */
  advance(ms) {
    let left = ms;
    do {
      const step = Math.min(left, DAY_MS);
      this.now += step;
      left -= step;
      this.api.brokerDriverPoll(this.nowMs);
      this.takeEvents();
    } while (left > 0);
    this.deliver();
  }

  /** Pulls events; a close event closes the client's side after its last bytes (as a host does). */
  takeEvents() {
    for (let kind = this.api.brokerDriverNextEvent(); kind >= 0; kind = this.api.brokerDriverNextEvent()) {
      const event = { kind, slot: this.api.brokerDriverEventSlot(), reason: this.api.brokerDriverEventReason() };
      this.events.push(event);
      const client = this.clients.get(event.slot);
      if (kind === EVENT.close && client) {
        client.read();
        client.closedBy = event.reason;
        this.clients.delete(event.slot);
        this.api.brokerDriverClosed(event.slot, this.nowMs);
      }
    }
  }

  /** Lets every client read what the broker has for it. */
  deliver() {
    for (const client of [...this.clients.values()]) client.read();
    this.takeEvents();
  }

  counter(name) {
    return this.api.brokerDriverCounter(COUNTER[name]) >>> 0;
  }

  sessions() {
    return this.api.brokerDriverSessions();
  }
}

class ScriptClient {
  constructor(script, version) {
    this.script = script;
    this.version = version;
    this.inbox = [];
    this.pendingBytes = Buffer.alloc(0);
    this.closedBy = null;
  }

  get open() {
    return this.script.clients.get(this.slot) === this;
  }

  /** Sends one packet (mqtt-packet fields); returns the bytes the broker took (a paused PUBLISH stays pending). */
  send(packet) {
    const bytes = Buffer.concat([this.pendingBytes, mqttPacket.generate(packet, { protocolVersion: this.version })]);
    return this.offer(bytes);
  }

  /** Offers what is pending again (after the broker paused its input). */
  retry() {
    return this.offer(this.pendingBytes);
  }

  offer(bytes) {
    const { api, harness } = this.script;
    harness.input.set(bytes, 0);
    const used = this.open ? api.brokerDriverInput(this.slot, this.script.nowMs, bytes.length) : bytes.length;
    this.pendingBytes = Buffer.from(bytes.subarray(used));
    this.script.takeEvents();
    this.script.deliver();
    return used;
  }

  /** Why the broker stopped taking this client's input (INPUT.*). */
  blocked() {
    return this.script.api.brokerDriverInputBlocked(this.slot);
  }

  read() {
    const { api, harness } = this.script;
    const chunks = [];
    for (let n = api.brokerDriverOutput(this.slot, this.script.nowMs); n > 0; n = api.brokerDriverOutput(this.slot, this.script.nowMs)) {
      chunks.push(Buffer.from(harness.output.subarray(0, n)));
    }
    if (chunks.length > 0) this.inbox.push(...parse(Buffer.concat(chunks), this.version));
  }

  /** Takes what arrived since the last take. */
  take() {
    const packets = this.inbox;
    this.inbox = [];
    return packets;
  }

  /** CONNECT with `fields`; returns the CONNACK (or undefined). What came after it stays in the inbox. */
  connect(fields = {}) {
    this.send({ cmd: "connect", protocolVersion: this.version, clean: true, keepalive: 0, clientId: "", ...fields });
    const index = this.inbox.findIndex((packet) => packet.cmd === "connack");
    return index < 0 ? undefined : this.inbox.splice(index, 1)[0];
  }

  /** The socket goes away without DISCONNECT. */
  vanish() {
    if (!this.open) return;
    this.script.clients.delete(this.slot);
    this.script.api.brokerDriverClosed(this.slot, this.script.nowMs);
    this.script.takeEvents();
    this.script.deliver();
  }
}
