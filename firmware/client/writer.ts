/**
 * The client's outbound packets: each is filled into one ClientOutboundRepr and encoded into the
 * host's window only if it fits there whole, so `output` can stop at any packet boundary and
 * resume on the next call. This file knows what goes into a CONNECT, an ack, a (UN)SUBSCRIBE and
 * a PUBLISH made from an outbox record — including the server's limits that decide whether a
 * message may be sent at all (Maximum QoS, Retain Available, Maximum Packet Size), what is left
 * of its Message Expiry, and the topic aliases we choose towards the server.
 */
import { intervalRemaining } from "../core/time";
import { Reader, Span } from "../core/bytes";
import { Limits } from "../limits";
import {
  CONNECT, DISCONNECT, MAXIMUM_PACKET_SIZE, MESSAGE_EXPIRY_INTERVAL, MQTT_5, PUBLISH, RECEIVE_MAXIMUM,
  SESSION_EXPIRY_INTERVAL, SUBSCRIBE, TOPIC_ALIAS, TOPIC_ALIAS_MAXIMUM, UNSUBSCRIBE, WILL_DELAY_INTERVAL,
} from "../codec/constants";
import { ClientOutboundRepr, clientPacketEncode, clientPacketEncodeLength } from "../codec/client_packet";
import { propertiesDecode } from "../codec/properties";
import { FORM_SHORTEST } from "../codec/ack";
import { Store } from "../store/store";
import { RecordView, recordParse } from "./outbox";
import { AliasTable } from "./aliases";
import { DROP_EXPIRED, DROP_NOT_SUPPORTED, DROP_TOO_LARGE } from "./events";
import {
  ClientOptions, OPTION_CLIENT_ID, OPTION_PASSWORD, OPTION_USERNAME, OPTION_WILL_PAYLOAD, OPTION_WILL_TOPIC,
} from "./options";

export class PacketWriter {
  readonly out: ClientOutboundRepr;
  /** Aliases we have set towards the server on this connection (MQTT 5 §3.3.2.3.4). */
  readonly aliases: AliasTable;
  /** A record read back from the store, and where its parts are. */
  readonly record: Uint8Array;
  readonly view: RecordView = new RecordView();
  private readonly reader: Reader = new Reader();

  /** This connection's protocol level and what the server's CONNACK allowed. */
  version: i32 = 4;
  /** Server's Maximum Packet Size (0 = none stated), Maximum QoS and Retain Available. */
  serverPacketMax: i32 = 0;
  serverQosMax: i32 = 2;
  serverRetain: bool = true;

  constructor(limits: Limits) {
    this.out = new ClientOutboundRepr(limits, 1); // one filter per (UN)SUBSCRIBE, so each has its own ack
    this.aliases = new AliasTable(limits.topicAliasCountMax, limits.filterSizeMax);
    this.record = new Uint8Array(limits.packetSizeMax);
  }

  /** A new connection: the server's limits are unknown until its CONNACK, and no alias is set. */
  connectionNew(version: i32): void {
    this.version = version;
    this.serverPacketMax = 0;
    this.serverQosMax = 2;
    this.serverRetain = true;
    this.aliases.reset(0);
  }

  /** Reads `record` from `store` into `record` and parses its fixed part into `view`. */
  recordRead(store: Store, record: i32): RecordView {
    const length = store.read(record, this.record, 0);
    recordParse(this.record, length, this.view);
    return this.view;
  }

  /** Encodes `out` if it fits in `capacity`. Returns bytes written, or 0. */
  emit(target: Uint8Array, offset: i32, capacity: i32): i32 {
    if (clientPacketEncodeLength(this.out) > capacity) return 0;
    return clientPacketEncode(this.out, target, offset);
  }

  /** An ack (PUBACK … PUBCOMP) in its shortest form; reason codes exist only in 5.0. */
  ack(type: i32, packetId: i32, reason: i32, target: Uint8Array, offset: i32, capacity: i32): i32 {
    const out = this.out;
    const ack = out.ack;
    out.type = type;
    out.version = this.version;
    ack.packetId = packetId;
    ack.reasonCode = this.version == MQTT_5 ? reason : 0;
    ack.form = FORM_SHORTEST;
    ack.properties.clear();
    return this.emit(target, offset, capacity);
  }

  /** A PINGREQ or another packet that is its type alone. */
  bare(type: i32, target: Uint8Array, offset: i32, capacity: i32): i32 {
    this.out.type = type;
    this.out.version = this.version;
    return this.emit(target, offset, capacity);
  }

  disconnect(reason: i32, target: Uint8Array, offset: i32, capacity: i32): i32 {
    const out = this.out;
    out.type = DISCONNECT;
    out.version = this.version;
    out.disconnect.reasonCode = this.version == MQTT_5 ? reason : 0;
    out.disconnect.form = FORM_SHORTEST;
    out.disconnect.properties.clear();
    return this.emit(target, offset, capacity);
  }

  /**
   * A SUBSCRIBE (or UNSUBSCRIBE) of one filter. `options` is the MQTT 5 options byte; before
   * 5.0 only its QoS is sent (MQTT 3.1.1 §3.8.3).
   */
  subscribe(subscribing: bool, filter: Span, options: i32, packetId: i32, target: Uint8Array, offset: i32, capacity: i32): i32 {
    const out = this.out;
    const request = out.subscribe;
    out.type = subscribing ? SUBSCRIBE : UNSUBSCRIBE;
    out.version = this.version;
    request.packetId = packetId;
    request.properties.clear();
    request.count = 1;
    const entry = request.subscriptions[0];
    entry.topicFilter.copyFrom(filter);
    const v5 = this.version == MQTT_5;
    entry.qos = options & 3;
    entry.noLocal = v5 && (options & 4) != 0;
    entry.retainAsPublished = v5 && (options & 8) != 0;
    entry.retainHandling = v5 ? (options >> 4) & 3 : 0;
    return this.emit(target, offset, capacity);
  }

  /** The CONNECT that `options` describe, announcing our limits (MQTT 5 §3.1.2.11). */
  connect(options: ClientOptions, limits: Limits, target: Uint8Array, offset: i32, capacity: i32): i32 {
    const out = this.out;
    const connect = out.connect;
    out.type = CONNECT;
    out.version = options.version;
    connect.bridge = options.bridge;
    connect.cleanStart = options.cleanStart;
    connect.keepAlive = options.keepAlive;
    options.get(OPTION_CLIENT_ID, connect.clientId);
    connect.willFlag = options.willSet;
    connect.willQos = options.willSet ? options.willQos : 0;
    connect.willRetain = options.willSet && options.willRetain;
    options.get(OPTION_WILL_TOPIC, connect.willTopic);
    options.get(OPTION_WILL_PAYLOAD, connect.willPayload);
    connect.willProperties.clear();
    connect.usernameFlag = options.usernameSet;
    options.get(OPTION_USERNAME, connect.username);
    connect.passwordFlag = options.passwordSet;
    options.get(OPTION_PASSWORD, connect.password);
    const properties = connect.properties;
    properties.clear();
    if (options.version == MQTT_5) {
      if (options.sessionExpiry != 0) properties.addNumber(SESSION_EXPIRY_INTERVAL, options.sessionExpiry);
      if (limits.incomingCountMax < 65535) properties.addNumber(RECEIVE_MAXIMUM, limits.incomingCountMax);
      properties.addNumber(MAXIMUM_PACKET_SIZE, limits.packetSizeMax);
      if (limits.topicAliasCountMax > 0) properties.addNumber(TOPIC_ALIAS_MAXIMUM, limits.topicAliasCountMax);
      if (options.willSet && options.willDelay > 0) connect.willProperties.addNumber(WILL_DELAY_INTERVAL, options.willDelay);
    }
    return this.emit(target, offset, capacity);
  }

  /**
   * A PUBLISH made from outbox record `record`, queued `queuedSeconds` ago. Returns bytes written,
   * 0 when it does not fit in `capacity` now, or -DROP_* when it can never be sent. A resend
   * (DUP) is never dropped: the server already holds its packet identifier.
   */
  publish(store: Store, record: i32, packetId: i32, queuedSeconds: i32, resend: bool,
    target: Uint8Array, offset: i32, capacity: i32): i32 {
    const view = this.recordRead(store, record);
    const out = this.out;
    const publish = out.publish;
    out.type = PUBLISH;
    out.version = this.version;
    publish.qos = view.qos;
    publish.retain = view.retain;
    publish.dup = resend;
    publish.packetId = view.qos > 0 ? packetId : 0;
    publish.topic.copyFrom(view.topic);
    const properties = publish.properties;
    const reader = this.reader;
    reader.reset(this.record, view.propertiesOffset, view.end);
    propertiesDecode(reader, PUBLISH, properties); // checked when it was published
    publish.payload.set(this.record, reader.position, view.end - reader.position);
    if (!resend) {
      const expiry = properties.find(MESSAGE_EXPIRY_INTERVAL);
      if (expiry >= 0) {
        // MQTT-3.3.2-6: what is left of the interval; a message that has outlived it is not sent.
        const left = intervalRemaining(properties.numbers[expiry], queuedSeconds);
        if (left == 0) return -DROP_EXPIRED;
        properties.numbers[expiry] = left;
      }
      if (view.qos > this.serverQosMax || (view.retain && !this.serverRetain)) return -DROP_NOT_SUPPORTED; // MQTT-3.2.2-11, -14
    }
    if (this.version != MQTT_5) properties.clear();
    const aliases = this.aliases;
    let alias: i32 = 0;
    let aliasNew = false;
    if (aliases.limit > 0 && properties.count < properties.capacity) {
      alias = aliases.find(view.topic);
      if (alias == 0) {
        alias = aliases.free();
        aliasNew = alias > 0 && view.topic.length <= aliases.topicSizeMax;
        if (!aliasNew) alias = 0;
      }
      if (alias > 0) {
        properties.addNumber(TOPIC_ALIAS, alias);
        if (!aliasNew) publish.topic.clear(); // MQTT 5 §3.3.2.3.4: the alias alone names the topic
      }
    }
    const size = clientPacketEncodeLength(out);
    if (this.serverPacketMax > 0 && size > this.serverPacketMax && !resend) return -DROP_TOO_LARGE; // MQTT-3.1.2-24
    if (size > capacity) return 0;
    const written = clientPacketEncode(out, target, offset);
    if (aliasNew) aliases.set(alias, view.topic);
    return written;
  }
}
