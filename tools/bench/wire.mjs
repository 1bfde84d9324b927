// The load generator's side of the wire for the broker benchmark (tools/bench/broker.mjs).
//
// Handshakes (CONNECT/CONNACK, SUBSCRIBE/SUBACK) go through mqtt-packet: they happen once per
// connection. The hot path does not: PUBLISH streams are encoded once by mqtt-packet as a
// template and copied into one large buffer with the sequence number (and packet id) patched
// in place, so sending N messages is one socket.write of a slice; incoming bytes are split by
// `Framer`, which reads only the fixed header and leaves the body to the caller.
import net from "node:net";
import mqttPacket from "mqtt-packet";

export const PUBLISH = 3;
export const PUBACK = 4;
export const PUBREC = 5;
export const PUBREL = 6;
export const PUBCOMP = 7;
export const DISCONNECT = 14;
export const PAYLOAD_SIZE = 64;
export const DISCONNECT_BYTES = Buffer.from([0xe0, 0x00]);

/**
 * Splits a byte stream into MQTT packets. `feed(chunk, onPacket)` calls
 * `onPacket(firstByte, buffer, bodyStart, bodyEnd)` for each complete packet and keeps an
 * incomplete tail for the next chunk.
 */
export class Framer {
  constructor() {
    this.rest = null;
  }

  feed(chunk, onPacket) {
    let buffer = chunk;
    if (this.rest !== null) {
      buffer = Buffer.concat([this.rest, chunk]);
      this.rest = null;
    }
    const end = buffer.length;
    let at = 0;
    while (end - at >= 2) {
      let length = 0;
      let multiplier = 1;
      let cursor = at + 1;
      let byte;
      let complete = true;
      do {
        if (cursor >= end) {
          complete = false;
          break;
        }
        byte = buffer[cursor++];
        length += (byte & 0x7f) * multiplier;
        multiplier *= 128;
      } while (byte & 0x80);
      if (!complete || cursor + length > end) break;
      onPacket(buffer[at], buffer, cursor, cursor + length);
      at = cursor + length;
    }
    if (at < end) this.rest = buffer.subarray(at);
  }
}

/** Offset of a PUBLISH payload inside its body (bodyStart .. bodyEnd). */
export function payloadOffset(firstByte, buffer, bodyStart, version) {
  let at = bodyStart + 2 + ((buffer[bodyStart] << 8) | buffer[bodyStart + 1]);
  if (firstByte & 0x06) at += 2;
  if (version === 5) {
    let length = 0;
    let multiplier = 1;
    let byte;
    do {
      byte = buffer[at++];
      length += (byte & 0x7f) * multiplier;
      multiplier *= 128;
    } while (byte & 0x80);
    at += length;
  }
  return at;
}

/** The packet id of a PUBLISH (QoS > 0) or of an ack. */
export function publishPacketId(buffer, bodyStart) {
  const at = bodyStart + 2 + ((buffer[bodyStart] << 8) | buffer[bodyStart + 1]);
  return (buffer[at] << 8) | buffer[at + 1];
}

/** Four-byte acks (PUBACK, PUBREC, PUBREL or PUBCOMP, reason 0) for the first `count` of `ids`, in one buffer. */
export function acks(type, ids, count) {
  const out = Buffer.allocUnsafe(count * 4);
  const first = (type << 4) | (type === PUBREL ? 0x02 : 0);
  for (let i = 0; i < count; i++) {
    out[i * 4] = first;
    out[i * 4 + 1] = 2;
    out[i * 4 + 2] = ids[i] >> 8;
    out[i * 4 + 3] = ids[i] & 0xff;
  }
  return out;
}

/** The packet id used for message `sequence`: 1..65535, cycling (windows are far smaller). */
export const packetIdOf = (sequence) => (sequence % 65535) + 1;

/**
 * `count` PUBLISH packets back to back, message i carrying sequence number i (u32 LE) at the
 * start of its 64-byte payload and packet id packetIdOf(i) when QoS > 0. Returns
 * { bytes, size, payloadAt }: packet i is bytes[i*size .. (i+1)*size).
 */
export function publishStream(version, qos, topic, count) {
  const template = publishTemplate(version, qos, topic);
  const { size, payloadAt, packetIdAt } = template;
  const bytes = Buffer.allocUnsafe(count * size);
  for (let i = 0; i < count; i++) {
    const base = i * size;
    template.bytes.copy(bytes, base);
    bytes.writeUInt32LE(i, base + payloadAt);
    if (qos > 0) bytes.writeUInt16BE(packetIdOf(i), base + packetIdAt);
  }
  return { bytes, size, payloadAt };
}

/** One PUBLISH encoded by mqtt-packet, and where its payload and packet id sit. */
export function publishTemplate(version, qos, topic) {
  const bytes = mqttPacket.generate({
    cmd: "publish", topic, payload: Buffer.alloc(PAYLOAD_SIZE), qos, messageId: qos > 0 ? 1 : undefined, retain: false, dup: false,
  }, { protocolVersion: version });
  const payloadAt = bytes.length - PAYLOAD_SIZE;
  const packetIdAt = payloadAt - (version === 5 ? 1 : 0) - 2; // v5: one byte of property length (0)
  return { bytes, size: bytes.length, payloadAt, packetIdAt };
}

/**
 * Opens a TCP connection and completes CONNECT/CONNACK (clean session, `keepalive` s).
 * Resolves with a Client; rejects on refusal, close or `timeoutMs`.
 */
export function openClient({ port, host = "127.0.0.1", version, clientId, keepalive = 60, timeoutMs = 10000 }) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host, noDelay: true });
    const client = new Client(socket, version);
    const timer = setTimeout(() => fail(new Error(`${clientId}: no CONNACK within ${timeoutMs} ms`)), timeoutMs);
    const fail = (error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(error);
    };
    socket.once("error", fail);
    socket.once("close", () => fail(new Error(`${clientId}: closed before CONNACK`)));
    socket.once("connect", () => {
      socket.write(mqttPacket.generate({
        cmd: "connect", protocolId: "MQTT", protocolVersion: version, clean: true, clientId, keepalive,
        properties: version === 5 ? { sessionExpiryInterval: 0 } : undefined,
      }, { protocolVersion: version }));
    });
    client.expect("connack").then((packet) => {
      clearTimeout(timer);
      socket.removeAllListeners("error");
      socket.removeAllListeners("close");
      const code = version === 5 ? packet.reasonCode : packet.returnCode;
      if (code !== 0) return fail(new Error(`${clientId}: CONNACK refused, code ${code}`));
      client.receiveMaximum = packet.properties?.receiveMaximum ?? 65535;
      client.connack = packet;
      socket.on("error", () => {});
      resolve(client);
    }, fail);
  });
}

/** A connected client: handshakes through mqtt-packet, then `fast(onChunk)` hands over the raw bytes. */
export class Client {
  constructor(socket, version) {
    this.socket = socket;
    this.version = version;
    this.receiveMaximum = 65535;
    this.connack = null;
    this.waiting = [];
    this.parser = mqttPacket.parser({ protocolVersion: version });
    this.parser.on("packet", (packet) => {
      const index = this.waiting.findIndex((entry) => entry.cmd === packet.cmd);
      if (index >= 0) this.waiting.splice(index, 1)[0].resolve(packet);
    });
    this.parser.on("error", (error) => this.waiting.splice(0).forEach((entry) => entry.reject(error)));
    this.slowData = (chunk) => this.parser.parse(chunk);
    socket.on("data", this.slowData);
  }

  expect(cmd) {
    return new Promise((resolve, reject) => this.waiting.push({ cmd, resolve, reject }));
  }

  /** SUBSCRIBE `topic` at `qos`; resolves after a granting SUBACK. */
  async subscribe(topic, qos, messageId = 1) {
    this.socket.write(mqttPacket.generate({ cmd: "subscribe", messageId, subscriptions: [{ topic, qos }] }, { protocolVersion: this.version }));
    const suback = await this.expect("suback");
    if (suback.granted[0] !== qos) throw new Error(`SUBACK granted ${suback.granted[0]} for QoS ${qos}`);
  }

  /** From now on, every chunk goes to `onChunk` (no more handshakes). */
  fast(onChunk) {
    this.socket.removeListener("data", this.slowData);
    this.socket.on("data", onChunk);
  }

  /** DISCONNECT, then close; resolves when closed (destroyed after `timeoutMs`). */
  close(timeoutMs = 1000) {
    const socket = this.socket;
    if (socket.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => socket.destroy(), timeoutMs);
      socket.once("close", () => {
        clearTimeout(timer);
        resolve();
      });
      if (socket.writable) socket.end(DISCONNECT_BYTES);
      else socket.destroy();
    });
  }
}
