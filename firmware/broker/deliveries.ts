/**
 * Deliveries: turning a session's queued and in-flight messages into PUBLISH packets for its
 * connection, when the host asks for output. A QoS 1/2 delivery enters the in-flight window
 * only while the window (ours, and the client's Receive Maximum) has room (MQTT-4.9.0-2); a
 * delivery past its Message Expiry is dropped (MQTT-3.3.2-5), one larger than the client's
 * Maximum Packet Size is discarded (MQTT-3.1.2-25), each counted. On resume, what was in flight
 * is sent again first: PUBLISH with DUP, or PUBREL (MQTT-4.4.0-1).
 */
import { Writer, varintSize } from "../core/bytes";
import { MESSAGE_EXPIRY_INTERVAL, MQTT_5, PUBLISH, PUBREL, SUBSCRIPTION_IDENTIFIER, TOPIC_ALIAS } from "../codec/constants";
import { AckRepr, ackEncode } from "../codec/ack";
import { PropertiesRepr } from "../codec/properties";
import { MessagePool } from "./messages";
import { INFLIGHT_FREE, INFLIGHT_PUBLISHED, INFLIGHT_RELEASED, Sessions } from "./sessions";
import { Connections } from "./connections";
import { COUNTER_DROP_EXPIRED, COUNTER_DROP_TOO_LARGE, COUNTER_MESSAGES_SENT } from "./counters";
import { TopicAliases } from "./aliases";
import { Durable } from "./durable";
import { intervalRemaining } from "../core/time";

export class Deliveries {
  private readonly pool: MessagePool;
  private readonly sessions: Sessions;
  private readonly connections: Connections;
  private readonly counters: Int32Array;
  private readonly aliases: TopicAliases;
  private readonly durable: Durable;
  private readonly writer: Writer = new Writer();
  private readonly ack: AckRepr = new AckRepr(new PropertiesRepr(1));
  /** Where each connection's resend of in-flight deliveries stands, or -1 when none is due. */
  readonly resendFrom: Int32Array;

  constructor(pool: MessagePool, sessions: Sessions, connections: Connections, counters: Int32Array, aliases: TopicAliases, durable: Durable) {
    this.aliases = aliases;
    this.durable = durable;
    this.pool = pool;
    this.sessions = sessions;
    this.connections = connections;
    this.counters = counters;
    this.resendFrom = new Int32Array(connections.count);
    this.resendFrom.fill(-1);
  }

  /** Encodes queued deliveries of `session` while the client's window and `capacity` allow. */
  deliver(slot: i32, session: i32, nowMs: i32, target: Uint8Array, offset: i32, capacity: i32): i32 {
    const sessions = this.sessions;
    const pool = this.pool;
    const connections = this.connections;
    const window = sessions.inflightCapacity < connections.clientReceiveMax[slot] ? sessions.inflightCapacity : connections.clientReceiveMax[slot];
    let written: i32 = 0;
    let index = sessions.queueFront(session);
    while (index >= 0) {
      const message = sessions.queueMessage[index];
      const qos: i32 = sessions.queueQos[index];
      const record = sessions.queueRecord[index];
      if (qos > 0 && sessions.inflightCount[session] >= window) break;
      let sent = false;
      const expiring = pool.expiryOn[message] != 0;
      const remaining = expiring ? this.expiryRemaining(message) : 0;
      if (expiring && remaining == 0) {
        this.counters[COUNTER_DROP_EXPIRED]++;
      } else {
        const alias = this.aliases.outbound(slot, message);
        const size = this.publishLength(slot, message, qos, sessions.queueSubscriptionId[index], remaining, alias);
        const clientMax = connections.clientPacketSizeMax[slot];
        if (clientMax > 0 && size > clientMax) {
          this.counters[COUNTER_DROP_TOO_LARGE]++; // MQTT-3.1.2-25: discard, as if sent
        } else {
          if (size > capacity - written) break;
          let packetId: i32 = 0;
          if (qos > 0) {
            packetId = sessions.packetIdNext(session);
            const flight = sessions.inflightFree(session);
            sessions.inflightState[flight] = INFLIGHT_PUBLISHED;
            sessions.inflightMessage[flight] = message;
            sessions.inflightPacketId[flight] = packetId;
            sessions.inflightQos[flight] = qos;
            sessions.inflightRecord[flight] = record;
            sessions.inflightCount[session]++;
            pool.retainReference(message);
            this.durable.deliverySent(record, packetId);
            sent = true;
          }
          if (alias < 0) this.aliases.outboundSet(slot, -alias, message);
          written += this.publishEncode(slot, message, qos, false, sessions.queueRetain[index] != 0, packetId,
            sessions.queueSubscriptionId[index], remaining, alias, target, offset + written);
          this.counters[COUNTER_MESSAGES_SENT]++;
        }
      }
      if (!sent) this.durable.deliveryDone(record, message); // expired, too large: dropped as if sent
      pool.release(message);
      sessions.queuePop(session);
      index = sessions.queueFront(session);
    }
    return written;
  }
  /** Sends again what was in flight when the session's previous connection ended (MQTT-4.4.0-1). */
  resend(slot: i32, session: i32, target: Uint8Array, offset: i32, capacity: i32): i32 {
    const sessions = this.sessions;
    const base = session * sessions.inflightCapacity;
    let written: i32 = 0;
    let i = this.resendFrom[slot];
    for (; i < sessions.inflightCapacity; i++) {
      const index = base + i;
      const state: i32 = sessions.inflightState[index];
      if (state == INFLIGHT_FREE) continue;
      const packetId = sessions.inflightPacketId[index];
      if (state == INFLIGHT_RELEASED) {
        if (capacity - written < 4) break;
        written += this.pubrelEncode(slot, packetId, target, offset + written);
        continue;
      }
      const message = sessions.inflightMessage[index];
      const alias = this.aliases.outbound(slot, message);
      const size = this.publishLength(slot, message, sessions.inflightQos[index], 0, 0, alias);
      if (size > capacity - written) break;
      if (alias < 0) this.aliases.outboundSet(slot, -alias, message);
      written += this.publishEncode(slot, message, sessions.inflightQos[index], true, false, packetId, 0, 0, alias, target, offset + written);
    }
    this.resendFrom[slot] = i < sessions.inflightCapacity ? i : -1;
    return written;
  }
  /**
   * Seconds of Message Expiry left (≥ 1; a u32 held in an i32), 0 when it has expired. Only for
   * a message that has one (`pool.expiryOn`).
   */
  private expiryRemaining(message: i32): i32 {
    const pool = this.pool;
    const elapsed = pool.clock.elapsedSeconds(pool.receivedAtSeconds[message], pool.receivedAtMs[message]);
    return intervalRemaining(pool.expirySeconds[message], elapsed);
  }
  private publishPropertiesLength(message: i32, subscriptionId: i32, expiry: i32, alias: i32): i32 {
    let length = this.pool.propertiesLength[message];
    if (alias != 0) length += 3;
    if (expiry != 0) length += 5;
    if (subscriptionId > 0) length += 1 + varintSize(subscriptionId);
    return length;
  }
  /** `expiry`: the Message Expiry to send, 0 for none. `alias`: as `TopicAliases.outbound` answered; > 0 leaves the topic out. */
  private publishLength(slot: i32, message: i32, qos: i32, subscriptionId: i32, expiry: i32, alias: i32): i32 {
    const pool = this.pool;
    const topicLength = alias > 0 ? 0 : pool.topicLength[message];
    let remaining = 2 + topicLength + pool.payloadLength[message] + (qos > 0 ? 2 : 0);
    if (this.connections.version[slot] == MQTT_5) {
      const properties = this.publishPropertiesLength(message, subscriptionId, expiry, alias);
      remaining += varintSize(properties) + properties;
    }
    return 1 + varintSize(remaining) + remaining;
  }
  /** Writes one PUBLISH of `message` at `target[offset ..)`; the caller checked the room. */
  private publishEncode(slot: i32, message: i32, qos: i32, dup: bool, retain: bool, packetId: i32, subscriptionId: i32,
    expiry: i32, alias: i32, target: Uint8Array, offset: i32): i32 {
    const pool = this.pool;
    const writer = this.writer;
    const v5 = this.connections.version[slot] == MQTT_5;
    const total = this.publishLength(slot, message, qos, subscriptionId, expiry, alias);
    const topicLength = pool.topicLength[message];
    const topicSent = alias > 0 ? 0 : topicLength;
    const propertiesLength = pool.propertiesLength[message];
    const payloadLength = pool.payloadLength[message];
    writer.reset(target, offset);
    writer.u8((PUBLISH << 4) | (dup ? 8 : 0) | (qos << 1) | (retain ? 1 : 0));
    let remaining = 2 + topicSent + payloadLength + (qos > 0 ? 2 : 0);
    const properties = v5 ? this.publishPropertiesLength(message, subscriptionId, expiry, alias) : 0;
    if (v5) remaining += varintSize(properties) + properties;
    writer.varint(remaining);
    writer.u16(topicSent);
    pool.read(message, 0, topicSent, target, writer.position);
    writer.position += topicSent;
    if (qos > 0) writer.u16(packetId);
    if (v5) {
      writer.varint(properties);
      if (expiry != 0) {
        writer.u8(MESSAGE_EXPIRY_INTERVAL);
        writer.u32(expiry);
      }
      if (alias != 0) {
        writer.u8(TOPIC_ALIAS);
        writer.u16(alias > 0 ? alias : -alias);
      }
      pool.read(message, topicLength, propertiesLength, target, writer.position);
      writer.position += propertiesLength;
      if (subscriptionId > 0) {
        writer.u8(SUBSCRIPTION_IDENTIFIER);
        writer.varint(subscriptionId);
      }
    }
    pool.read(message, topicLength + propertiesLength, payloadLength, target, writer.position);
    writer.position += payloadLength;
    assert(writer.position == offset + total, "Broker.publishEncode: length");
    return total;
  }

  private pubrelEncode(slot: i32, packetId: i32, target: Uint8Array, offset: i32): i32 {
    const ack = this.ack;
    ack.version = this.connections.version[slot];
    ack.type = PUBREL;
    ack.packetId = packetId;
    ack.reasonCode = 0;
    ack.form = 0;
    return ackEncode(ack, target, offset);
  }
}
