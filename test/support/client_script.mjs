// Drives the client core with scripted bytes and a scripted clock — no sockets — in either
// build. The server's packets are written with mqtt-packet (the reference JS codec), and what
// the client writes is parsed back with it, so a scenario reads as the exchange it is.
import mqttPacket from "mqtt-packet";
import { EVENT, OPTION, loadClientCore } from "../../tools/client/core.mjs";

const utf8 = new TextEncoder();

export const SCRIPT_LIMITS = {
  packetSizeMax: 4096, propertyCountMax: 16, topicFilterCountMax: 4, filterSizeMax: 64, inflightCountMax: 8,
  incomingCountMax: 8, topicAliasCountMax: 4, outgoingCountMax: 16, storeBytesMax: 16384, clientSubscriptionCountMax: 4,
};

/** A client core under script: `now` is ours to move. */
export class Script {
  constructor(build, { limits = SCRIPT_LIMITS, version = 4, options = {} } = {}) {
    this.core = loadClientCore({ build, limits });
    this.api = this.core.api;
    this.version = version;
    this.now = 1000;
    this.events = [];
    this.messages = [];
    this.set(OPTION.version, version);
    this.set(OPTION.seed, 12345);
    for (const [name, value] of Object.entries(options)) {
      if (typeof value === "string") this.bytes(OPTION[name], value);
      else this.set(OPTION[name], Number(value));
    }
  }

  set(id, value) {
    if (this.api.optionSet(id, value) !== 0) throw new Error(`option ${id} refused`);
  }

  bytes(id, text) {
    const data = utf8.encode(text);
    this.core.stage.set(data, 0);
    if (this.api.optionBytes(id, data.length) !== 0) throw new Error(`option ${id} refused`);
  }

  /** Moves the clock and runs the timers; returns the events that came out. */
  tick(ms = 0) {
    this.now = (this.now + ms) | 0;
    this.api.poll(this.now);
    return this.take();
  }

  /** Takes every pending event (copying a delivered message) and returns the new ones. */
  take() {
    const fresh = [];
    for (let kind = this.api.nextEvent(); kind !== EVENT.none; kind = this.api.nextEvent()) {
      const event = { kind, handle: this.api.eventHandle(), reason: this.api.eventReason() };
      if (kind === EVENT.message) {
        const topicLength = this.api.messageCopy();
        const payloadLength = this.api.messagePayloadLength();
        const stage = this.core.stage;
        event.topic = Buffer.from(stage.subarray(0, topicLength)).toString();
        event.payload = Buffer.from(stage.subarray(topicLength, topicLength + payloadLength)).toString();
        event.flags = this.api.messageFlags();
        this.messages.push(event);
      }
      fresh.push(event);
    }
    this.events.push(...fresh);
    return fresh;
  }

  /** Start, open the socket, answer the CONNECT with `connack` fields. Returns the CONNECT. */
  connect(connack = {}) {
    this.api.start(this.now);
    this.tick();
    this.api.opened(this.now);
    const [connect] = this.output();
    this.input({ cmd: "connack", returnCode: 0, reasonCode: 0, sessionPresent: false, ...connack });
    return connect;
  }

  /** Reconnect after a drop: closed, wait the backoff out, open, answer. Returns what the client sent. */
  reconnect(connack = {}) {
    this.api.closed(this.now);
    this.take();
    for (let i = 0; i < 200 && this.api.state() !== 2; i++) this.tick(100);
    if (this.api.state() !== 2) throw new Error("the client did not ask to reopen within 20 s");
    this.api.opened(this.now);
    const sent = this.output();
    this.input({ cmd: "connack", returnCode: 0, reasonCode: 0, sessionPresent: false, ...connack });
    return sent.concat(this.output());
  }

  /** Feeds one server packet (mqtt-packet fields). Returns the bytes consumed. */
  input(packet) {
    const bytes = mqttPacket.generate(packet, { protocolVersion: this.version });
    return this.inputBytes(bytes);
  }

  inputBytes(bytes) {
    let used = 0;
    for (let guard = 0; guard < 100 && used < bytes.length; guard++) {
      this.core.rx.set(bytes.subarray(used), 0);
      const n = this.api.input(this.now, bytes.length - used);
      used += n;
      this.take();
      if (n === 0) this.pending = this.output();
    }
    this.take();
    return used;
  }

  /** Everything the client writes now, parsed. */
  output() {
    const chunks = [];
    for (let n = this.api.output(this.now); n > 0; n = this.api.output(this.now)) chunks.push(Buffer.from(this.core.tx.subarray(0, n)));
    this.take();
    return parse(Buffer.concat(chunks), this.version);
  }

  publish(topic, payload, { qos = 0, retain = false, policy = 0, properties = new Uint8Array(0) } = {}) {
    const topicBytes = utf8.encode(topic);
    const payloadBytes = utf8.encode(payload);
    const stage = this.core.stage;
    stage.set(topicBytes, 0);
    stage.set(properties, topicBytes.length);
    stage.set(payloadBytes, topicBytes.length + properties.length);
    return this.api.publish(topicBytes.length, properties.length, payloadBytes.length, qos, retain ? 1 : 0, policy, this.now);
  }

  subscribe(filter, options = 0) {
    const bytes = utf8.encode(filter);
    this.core.stage.set(bytes, 0);
    return this.api.subscribe(bytes.length, options);
  }

  kinds(events) {
    return events.map((event) => event.kind);
  }
}

/** Parses a byte stream into mqtt-packet objects. */
export function parse(bytes, version) {
  const parser = mqttPacket.parser({ protocolVersion: version });
  const packets = [];
  parser.on("packet", (packet) => packets.push(packet));
  parser.on("error", (error) => { throw error; });
  parser.parse(bytes);
  return packets;
}
