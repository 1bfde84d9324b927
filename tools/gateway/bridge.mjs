// The gateway's bridge to an upstream broker (Mosquitto, EMQX, HiveMQ, or another wrenmq), one
// per `connection` section of mosquitto.conf (bridge_config.mjs).
//
// A bridge is two clients built on the same client core as everything else:
//  - `local` speaks MQTT 5 to this gateway's broker over an in-process link (no socket): it
//    subscribes to the `out` topics with No Local (so what the bridge brings in is not sent
//    back out) and Retain As Published, and publishes what comes in — as `local_username`
//    (or anonymously), so the ACL judges it like any client's PUBLISH and SUBSCRIBE;
//  - `remote` speaks the configured protocol to the upstream over TCP or TLS, reconnecting by
//    itself with jittered backoff (restart_timeout), with a will and a retained "1" on the
//    notification topic as Mosquitto's bridge does.
//
// Store and forward: while the upstream is unreachable, outgoing messages wait in the remote
// client's outbox, bounded by bridge_max_queued_messages / _bytes. When it is full, the
// message's bridge_queue_policy decides (keep-all refuses the newest, latest replaces an unsent
// message on the same topic, drop-oldest drops the oldest unsent); every drop is counted. The
// local broker never waits on the upstream: the local client takes every message at once, so
// a slow or absent upstream costs the bridge's queue, not local clients' throughput. When the
// upstream returns, the queue drains in order, paced by the upstream's acknowledgements (the
// in-flight window, capped by its Receive Maximum) and by the socket's back-pressure.
//
// Status, retained on the local broker and refreshed at most once a second:
//   $SYS/broker/connection/<remote client id>/state   1 or 0 (Mosquitto's notification topic)
//   $SYS/broker/bridge/<name>/{state,queued,dropped,sent,received}
//   wrenmq/bridge/<name>/status                       {"state":"up","queued":0,...} (JSON)
import { EventEmitter } from "node:events";
import { hostname } from "node:os";
import { readFileSync } from "node:fs";
import { ClientHost } from "../client/host.mjs";
import { HOST_CLIENT_LIMITS } from "../client/core.mjs";
import { sectorSizeFor } from "../client/flash_file.mjs";
import { linkNew } from "./host.mjs";

const STATUS_INTERVAL_MS = 1000;
const POLICY_BY_NAME = { "keep-all": "keepAll", latest: "latest", "drop-oldest": "dropOldest" };
const ERR_QUEUE_FULL = -43;

/** Whether topic filter `filter` matches topic name `topic` (MQTT 5 §4.7; `$` topics only by `$` filters). */
export function topicMatches(filter, topic) {
  const f = filter.split("/");
  const t = topic.split("/");
  if (topic.startsWith("$") && (f[0] === "#" || f[0] === "+")) return false;
  for (let i = 0; i < f.length; i++) {
    if (f[i] === "#") return true;
    if (i >= t.length) return false;
    if (f[i] !== "+" && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}

/** A socket-like object joined to a new connection of `broker` (a BrokerHost) in this process. */
function localSocket(broker) {
  const socket = new EventEmitter();
  let open = true;
  // The broker's side: an internal link (it may publish the bridge's $SYS status). It holds
  // nothing: what the broker writes goes to the bridge's client at the next turn, which reads all.
  const link = linkNew("in-process", {
    internal: true,
    write: (data) => setImmediate(() => { if (open) socket.emit("data", Buffer.from(data)); }),
    end: () => setImmediate(close),
    destroy: () => setImmediate(close),
    queued: () => 0,
    pauseReading: () => {},
    resumeReading: () => {},
  });
  const close = () => {
    if (!open) return;
    open = false;
    link.onClose?.();
    socket.emit("close");
  };
  Object.assign(socket, {
    writableLength: 0,
    get destroyed() { return !open; },
    write: (data) => {
      const copy = Buffer.from(data);
      setImmediate(() => { if (open) link.onData?.(copy); });
      return true;
    },
    end: () => setImmediate(close),
    destroy: () => setImmediate(close),
  });
  setImmediate(() => {
    broker.accept(link);
    socket.emit("connect");
  });
  return socket;
}

export class Bridge extends EventEmitter {
  /**
   * `config`: one entry of parseConfig(...).config.bridges; `broker`: the gateway's BrokerHost.
   * `flash`: a file path when the gateway persists (persistence true): the queue to the upstream
   * then lives in that flash file and the local side is a persistent session on the gateway's
   * store, so what the gateway acknowledged for the bridge outlives a restart.
   */
  constructor(config, broker, { flash = null } = {}) {
    super();
    this.config = config;
    this.broker = broker;
    this.name = config.name;
    this.remoteClientId = config.remoteClientId ?? `${hostname()}.${config.name}`;
    this.notificationTopic = config.notificationTopic ?? `$SYS/broker/connection/${this.remoteClientId}/state`;
    this.addressIndex = 0;
    this.up = false;
    this.sent = 0;
    this.received = 0;
    this.notificationsRefused = 0;
    this.statusTimer = null;
    this.statusShown = "";

    const durable = flash !== null;
    const packetSizeMax = broker.rxSize; // what the gateway takes is what the bridge forwards
    this.local = new ClientHost({
      server: { transport: () => localSocket(broker) },
      options: { version: 5, clientId: config.localClientId ?? `wrenmq-bridge-${config.name}`, username: config.localUsername ?? undefined,
        keepAlive: 0, reconnect: { minMs: 100, maxMs: 1000 },
        clean: !durable, sessionExpiry: durable ? 0xffffffff : 0 },
      core: { limits: { ...HOST_CLIENT_LIMITS, packetSizeMax, topicAliasCountMax: 0 } },
    });
    const remoteLimits = { ...HOST_CLIENT_LIMITS, packetSizeMax, outgoingCountMax: config.queueMax, storeBytesMax: config.queueBytesMax };
    this.remote = new ClientHost({
      server: this.serverFor(config.addresses[0]),
      options: {
        version: config.protocolVersion,
        clientId: this.remoteClientId,
        clean: config.cleanSession,
        sessionExpiry: config.cleanSession ? 0 : 0xffffffff,
        keepAlive: config.keepalive,
        username: config.remoteUsername ?? undefined,
        password: config.remotePassword ?? undefined,
        bridge: config.tryPrivate && config.protocolVersion < 5,
        will: config.notifications ? { topic: this.notificationTopic, payload: "0", qos: 1, retain: true } : undefined,
        reconnect: { minMs: config.restartTimeout.minMs, maxMs: config.restartTimeout.maxMs },
      },
      core: { limits: remoteLimits, flash: durable ? bridgeFlash(flash, packetSizeMax, config.queueBytesMax) : null },
    });
    /** Messages found in the flash queue at start-up, sent once the upstream is reachable. */
    this.recovered = this.remote.recovered ?? 0;
    this.recoveredDone = 0;
    this.local.on("message", (topic, payload, meta) => this.outgoing(topic, payload, meta));
    this.remote.on("message", (topic, payload, meta) => this.incoming(topic, payload, meta));
    this.forwarded = new Set(); // handles of forwarded messages not yet settled: the queue depth
    // A handle not forwarded in this run is one of the messages recovered from the flash queue.
    this.remote.on("published", (handle) => {
      if (this.forwarded.delete(handle)) this.sent++;
      else if (this.recovered > this.recoveredDone) { this.recoveredDone++; this.sent++; }
    });
    this.remote.on("dropped", (handle) => {
      if (!this.forwarded.delete(handle) && this.recovered > this.recoveredDone) this.recoveredDone++;
    });
    this.remote.on("connect", () => this.linkChanged(true));
    this.remote.on("disconnect", () => this.linkChanged(false));
    this.remote.on("socketError", (error) => {
      this.emit("log", `bridge ${this.name}: ${error.message}`);
      this.nextAddress();
    });
  }

  serverFor(address) {
    const tls = this.config.tls && {
      ca: readFileSync(this.config.tls.cafile),
      cert: this.config.tls.certfile ? readFileSync(this.config.tls.certfile) : undefined,
      key: this.config.tls.keyfile ? readFileSync(this.config.tls.keyfile) : undefined,
      rejectUnauthorized: !this.config.tls.insecure,
    };
    return { host: address.host, port: address.port, tls };
  }

  /** The next address is tried on the next attempt (Mosquitto: "tried in turn"). */
  nextAddress() {
    const { addresses } = this.config;
    if (addresses.length < 2) return;
    this.addressIndex = (this.addressIndex + 1) % addresses.length;
    this.remote.server = this.serverFor(addresses[this.addressIndex]);
  }

  start() {
    for (const rule of this.config.topics) {
      if (rule.direction !== "in") this.local.subscribe(rule.localPrefix + rule.pattern, { qos: rule.qos, noLocal: true, retainAsPublished: true });
      if (rule.direction !== "out") this.remote.subscribe(rule.remotePrefix + rule.pattern, { qos: rule.qos, noLocal: this.config.protocolVersion === 5 });
    }
    this.local.start();
    this.remote.start();
    this.statusTimer = setInterval(() => this.statusPublish(), STATUS_INTERVAL_MS);
    this.statusTimer.unref();
    this.statusPublish();
    return this;
  }

  async stop() {
    clearInterval(this.statusTimer);
    await Promise.all([this.remote.stop(), this.local.stop()]);
  }

  /** A local message for the upstream: mapped by the first matching out/both rule, queued under its policy. */
  outgoing(topic, payload, { qos, retain, properties }) {
    for (const rule of this.config.topics) {
      if (rule.direction === "in" || !topic.startsWith(rule.localPrefix)) continue;
      const rest = topic.slice(rule.localPrefix.length);
      if (!topicMatches(rule.pattern === "" ? rest : rule.pattern, rest)) continue;
      const policy = this.config.queuePolicies.find((entry) => topicMatches(entry.pattern, topic))?.policy ?? "keep-all";
      try {
        const handle = this.remote.publish(rule.remotePrefix + rest, payload, {
          qos: Math.min(qos, rule.qos), retain,
          properties: this.config.protocolVersion === 5 ? properties : null,
          policy: POLICY_BY_NAME[policy],
        });
        this.forwarded.add(handle);
      } catch (error) {
        if (error.code !== ERR_QUEUE_FULL) throw error; // keep-all with a full queue: the newest gives way, counted by the core
      }
      return;
    }
  }

  /** An upstream message for local clients: mapped by the first matching in/both rule. */
  incoming(topic, payload, { qos, retain, properties }) {
    for (const rule of this.config.topics) {
      if (rule.direction === "out" || !topic.startsWith(rule.remotePrefix)) continue;
      const rest = topic.slice(rule.remotePrefix.length);
      if (!topicMatches(rule.pattern === "" ? rest : rule.pattern, rest)) continue;
      this.received++;
      this.local.publish(rule.localPrefix + rest, payload, { qos: Math.min(qos, rule.qos), retain, properties, policy: "keepAll" });
      return;
    }
  }

  linkChanged(up) {
    this.up = up;
    if (up && this.config.notifications) {
      try {
        this.remote.publish(this.notificationTopic, "1", { qos: 1, retain: true, policy: "keepAll" });
      } catch (error) {
        if (error.code !== ERR_QUEUE_FULL) throw error; // the queue's room is for messages; the local status still says "up"
        this.notificationsRefused++;
      }
    }
    this.emit(up ? "up" : "down");
    this.statusPublish();
  }

  /** Queue depth, drops and link state; `dropped` counts every message a policy gave up. */
  status() {
    const counters = this.remote.counters();
    return {
      state: this.up ? "up" : "down",
      queued: this.forwarded.size + this.recovered - this.recoveredDone,
      dropped: counters.dropQueue + counters.refusedQueueFull + counters.dropExpired + counters.dropRefusedByLimits - this.notificationsRefused,
      sent: this.sent,
      received: this.received,
    };
  }

  statusPublish() {
    const status = this.status();
    const shown = JSON.stringify(status);
    if (shown === this.statusShown || this.local.state !== "connected") return;
    this.statusShown = shown;
    const publish = (topic, value) => this.local.publish(topic, String(value), { qos: 0, retain: true, policy: "latest" });
    if (this.config.notifications) publish(this.notificationTopic, this.up ? "1" : "0");
    for (const [key, value] of Object.entries(status)) publish(`$SYS/broker/bridge/${this.name}/${key}`, value);
    publish(`wrenmq/bridge/${this.name}/status`, shown);
  }
}

/**
 * The bridge queue's flash geometry: sectors that hold the largest packet (a record never spans
 * sectors), and twice the queue's byte limit plus the log's two spare sectors.
 */
function bridgeFlash(path, packetSizeMax, queueBytesMax) {
  const sectorSize = sectorSizeFor(4096, packetSizeMax);
  return { path, sectorSize, sectorCount: Math.max(8, Math.ceil((2 * queueBytesMax) / sectorSize) + 2), writeSize: 4 };
}
