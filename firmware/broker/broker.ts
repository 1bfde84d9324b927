/**
 * The mini-broker core: sans-I/O. The host opens a slot per socket, hands it received bytes
 * (`input`), collects bytes to send (`output`, for the slots `nextWritable` names), reports
 * closed sockets (`closed`), and calls `poll` when `poll` last said to. Time is passed in as
 * wrap-safe i32 milliseconds. Results the host must act on are pulled with `nextEvent`.
 *
 * One PUBLISH is stored once in the MessagePool and referenced by every delivery; routing
 * only appends (message, QoS) to the subscribers' session queues, and each connection's
 * `output` encodes its own deliveries when the host has room to send them. So a slow
 * subscriber fills only its own bounded queue, and a host write per socket per turn carries
 * everything due on it.
 *
 * Limits and their stated behaviour (each counted in `counters`):
 * - connection table full: CONNACK 0x97 Quota exceeded (5.0) / 3 Server unavailable (3.x);
 *   no slot at all: `open` returns -1 and the host closes the socket;
 * - session table full: the same CONNACK refusal;
 * - topic table full or filter too long: SUBACK 0x97 (5.0) / 0x80 (3.x) for that filter;
 * - a subscriber's queue full: the delivery is dropped (DROP_QUEUE_FULL);
 * - message pool full: QoS 0 dropped (DROP_POOL_FULL); QoS 1/2 answered 0x97 in 5.0, and in
 *   3.x the connection is closed without acknowledging, so the client sends it again;
 * - a delivery larger than the client's Maximum Packet Size: dropped (MQTT-3.1.2-25);
 * - packet larger than ours: refused with 0x95 and the connection closed (MQTT-3.1.2-24).
 *
 * With a Store (the flash store), persistent sessions, their subscriptions, QoS 1/2 deliveries
 * and QoS 2 receipts, and retained messages are kept there too (durable.ts), written before the
 * PUBACK / PUBREC / SUBACK they guard; `restore` rebuilds them at start-up.
 */
import { Span } from "../core/bytes";
import { Limits } from "../limits";
import {
  ASSIGNED_CLIENT_IDENTIFIER, AUTH, CONNECT, TOPIC_ALIAS_MAXIMUM, DISCONNECT, MAXIMUM_PACKET_SIZE,
  MESSAGE_EXPIRY_INTERVAL, MQTT_3_1, MQTT_5, PINGREQ, PINGRESP, PUBACK, PUBCOMP, PUBLISH, PUBREC, PUBREL,
  RECEIVE_MAXIMUM, RETAIN_AVAILABLE, SERVER_KEEP_ALIVE, SESSION_EXPIRY_INTERVAL,
  SHARED_SUBSCRIPTION_AVAILABLE, SUBACK, SUBSCRIBE, SUBSCRIPTION_IDENTIFIER, TOPIC_ALIAS, UNSUBACK,
  UNSUBSCRIBE, WILL_DELAY_INTERVAL,
} from "../codec/constants";
import { PacketRepr, packetDecode } from "../codec/packet";
import { connackEncode } from "../codec/connack";
import { ConnectRepr } from "../codec/connect";
import { PublishRepr } from "../codec/publish";
import { SubscribeRepr } from "../codec/subscribe";
import { Deliveries } from "./deliveries";
import { Responses } from "./responses";
import { Router } from "./router";
import { Ingest } from "./ingest";
import { TopicAliases } from "./aliases";
import { SysReport } from "./sys";
import { ACCESS_SUBSCRIBE, ACCESS_WRITE, Security } from "../hal/security";
import { MessagePool, MESSAGE_CHUNK_SIZE } from "./messages";
import { TopicTable } from "./topic_table";
import { RetainedTable } from "./retained";
import { Durable } from "./durable";
import { Flows } from "./flows";
import { Store } from "../store/store";
import { EXPIRY_NEVER, INFLIGHT_FREE, Sessions } from "./sessions";
import {
  CONNECTION_AWAITING_CONNECT, CONNECTION_CLOSING, CONNECTION_CONNECTED, CONNECTION_FREE, CONTROL_RESERVE, Connections,
} from "./connections";
import {
  COUNTER_BYTES_RECEIVED, COUNTER_BYTES_SENT, COUNTER_COUNT, COUNTER_DENIED, COUNTER_DROP_POOL_FULL,
  COUNTER_MESSAGES_RECEIVED, COUNTER_REFUSED_CONNECTIONS,
} from "./counters";

/** Connection slots beyond `connectionCountMax`, so a client over the limit still gets its CONNACK refusal. */
const REFUSAL_SLOTS: i32 = 4;

export class Broker {
  readonly limits: Limits;
  readonly security: Security;
  readonly connections: Connections;
  readonly sessions: Sessions;
  readonly topics: TopicTable;
  readonly pool: MessagePool;
  readonly retained: RetainedTable;
  readonly durable: Durable;
  /** Counters for $SYS, indexed by COUNTER_*. */
  readonly counters: Int32Array;

  private readonly packet: PacketRepr;
  private readonly ingest: Ingest;
  private readonly scratch: Uint8Array;
  private readonly reasonCodes: Uint8Array;
  private readonly span: Span = new Span();
  private readonly topicSpan: Span = new Span();
  private readonly responses: Responses;
  private assignedIdCounter: i32 = 0;
  private readonly deliveries: Deliveries;
  private readonly router: Router;
  private readonly sys: SysReport;
  private readonly aliases: TopicAliases;
  private readonly flows: Flows;

  /** `store`: where persistent state is kept (the flash store), or null to keep everything in RAM. */
  constructor(limits: Limits, security: Security, store: Store | null) {
    const slots = limits.connectionCountMax + REFUSAL_SLOTS;
    const connections = new Connections(slots, limits.topicAliasCountMax);
    const sessions = new Sessions(limits.sessionCountMax, limits.clientIdSizeMax, limits.queueCountMax,
      limits.inflightCountMax, limits.incomingCountMax);
    const chunks = ((limits.messageBytesMax + MESSAGE_CHUNK_SIZE - 1) / MESSAGE_CHUNK_SIZE) | 0;
    const pool = new MessagePool(limits.messageCountMax, chunks);
    const counters = new Int32Array(COUNTER_COUNT);
    this.limits = limits;
    this.security = security;
    this.connections = connections;
    this.sessions = sessions;
    this.pool = pool;
    this.counters = counters;
    const aliases = new TopicAliases(pool, connections, counters, limits.packetSizeMax);
    this.aliases = aliases;
    const topics = new TopicTable(limits.subscriptionCountMax, limits.filterSizeMax);
    let backing = new Store();
    let on = false;
    if (store != null) {
      backing = store;
      on = true;
    }
    const durable = new Durable(backing, on, pool, sessions, topics, counters, limits.packetSizeMax);
    this.durable = durable;
    this.deliveries = new Deliveries(pool, sessions, connections, counters, aliases, durable);
    const retained = new RetainedTable(limits.retainedCountMax, durable);
    this.topics = topics;
    this.retained = retained;
    const router = new Router(pool, topics, retained, sessions, connections, security, counters, limits.packetSizeMax, durable);
    const ingest = new Ingest(pool, limits.propertyCountMax, limits.packetSizeMax);
    this.router = router;
    this.ingest = ingest;
    this.sys = new SysReport(connections, sessions, topics, pool, retained, counters, router, ingest);
    this.packet = new PacketRepr(limits);
    this.scratch = new Uint8Array(limits.packetSizeMax);
    this.reasonCodes = new Uint8Array(limits.topicFilterCountMax);
    const responses = new Responses(connections, counters);
    this.responses = responses;
    this.flows = new Flows(sessions, connections, pool, responses, durable);
  }

  // ---- the host's calls ---------------------------------------------------------------------

  /**
   * Rebuilds persistent sessions, their subscriptions, queues and in-flight deliveries, QoS 2
   * receipts and retained messages from the store (after its `recover`, before any `open`).
   * Returns the records restored; what did not fit is counted (COUNTER_RESTORE_DROPPED).
   */
  restore(nowMs: i32): i32 {
    return this.durable.restore(nowMs, this.retained);
  }

  /** A socket was accepted. Returns its slot, or -1 when even the refusal slots are taken. */
  open(nowMs: i32): i32 {
    const slot = this.connections.open(nowMs);
    if (slot < 0) this.counters[COUNTER_REFUSED_CONNECTIONS]++;
    else this.deliveries.resendFrom[slot] = -1;
    return slot;
  }

  /**
   * Bytes arrived on `slot`. Returns how many were consumed; the host keeps the rest and
   * offers it again after more arrive, or after draining `output`: input pauses when the slot's
   * control buffer cannot take another response, and when a connected subscriber's queue is
   * half full, so a fast subscriber is not outrun by one large read (back-pressure).
   */
  input(slot: i32, nowMs: i32, source: Uint8Array, offset: i32, length: i32): i32 {
    const connections = this.connections;
    if (connections.state[slot] == CONNECTION_CLOSING || connections.state[slot] == CONNECTION_FREE) return length;
    let used: i32 = 0;
    while (used < length && connections.state[slot] != CONNECTION_CLOSING) {
      if (connections.controlRoom(slot) < CONTROL_RESERVE) break;
      const result = packetDecode(source, offset + used, length - used, this.packet, connections.version[slot], this.limits.packetSizeMax);
      if (result == 0) break;
      if (result < 0) {
        this.responses.refuse(slot, result);
        return length;
      }
      used += result;
      connections.lastInputMs[slot] = nowMs;
      this.counters[COUNTER_BYTES_RECEIVED] += result;
      this.handle(slot, nowMs);
      if (this.router.pressure) {
        this.router.pressure = false;
        break;
      }
    }
    return used;
  }

  /**
   * Writes what `slot` should send next into `target[offset .. offset+capacity)`. Returns the
   * byte count; 0 when nothing is due. Call until it returns 0 or the socket is full.
   */
  output(slot: i32, nowMs: i32, target: Uint8Array, offset: i32, capacity: i32): i32 {
    const connections = this.connections;
    let written = this.responses.controlDrain(slot, target, offset, capacity);
    if (connections.state[slot] != CONNECTION_CONNECTED) return written;
    const session = connections.session[slot];
    const deliveries = this.deliveries;
    if (deliveries.resendFrom[slot] >= 0) written += deliveries.resend(slot, session, target, offset + written, capacity - written);
    if (deliveries.resendFrom[slot] < 0) written += deliveries.deliver(slot, session, nowMs, target, offset + written, capacity - written);
    this.counters[COUNTER_BYTES_SENT] += written;
    return written;
  }

  /** The socket of `slot` is closed (by the peer, or by the host after an EVENT_CLOSE). */
  closed(slot: i32, nowMs: i32): void {
    const connections = this.connections;
    if (connections.state[slot] == CONNECTION_FREE) return;
    if (connections.state[slot] == CONNECTION_CONNECTED) this.connections.connected--;
    this.aliases.release(slot);
    const session = connections.session[slot];
    const owner = session >= 0 && this.sessions.connection[session] == slot;
    const will = connections.willMessage[slot];
    connections.willMessage[slot] = -1;
    if (will >= 0 && connections.normalDisconnect[slot] != 0) {
      this.pool.release(will);
    } else if (will >= 0) {
      // MQTT-3.1.3-9: a will with a delay waits in the session, unless the session ends sooner.
      const delay = connections.willDelaySeconds[slot];
      if (!owner && session >= 0 && delay > 0) {
        this.pool.release(will); // taken over within the delay: a new connection cancels it (MQTT-3.1.3-9)
      } else if (owner && delay > 0 && this.sessions.expirySeconds[session] != 0) {
        this.willPending(session, will, (nowMs + delay * 1000) | 0);
      } else {
        this.willPublish(will, nowMs);
      }
    }
    if (owner) {
      this.sessions.connection[session] = -1;
      this.sessions.disconnectedAtMs[session] = nowMs;
      if (this.sessions.expirySeconds[session] == 0) this.sessionEnd(session, nowMs);
    }
    connections.controlLength[slot] = 0;
    connections.free(slot);
  }

  /** Runs timers: connect timeouts, keepalive (1.5 × Keep Alive, MQTT-3.1.2-22), session expiry, $SYS. */
  poll(nowMs: i32): void {
    this.sys.publishDue(nowMs, this.connections.connected, this.limits.sysIntervalSeconds);
    const connections = this.connections;
    for (let slot = 0; slot < connections.count; slot++) {
      const state: i32 = connections.state[slot];
      if (state == CONNECTION_AWAITING_CONNECT && ((nowMs - connections.openedAtMs[slot]) | 0) > this.limits.connectTimeoutMs) {
        this.responses.close(slot);
      } else if (state == CONNECTION_CONNECTED && connections.keepAliveMs[slot] > 0 &&
        ((nowMs - connections.lastInputMs[slot]) | 0) > connections.keepAliveMs[slot] + (connections.keepAliveMs[slot] >> 1)) {
        this.responses.sendDisconnect(slot, 0x8d); // Keep Alive timeout
      }
    }
    const sessions = this.sessions;
    for (let session = 0; session < sessions.count; session++) {
      const expiry = sessions.expirySeconds[session];
      if (sessions.clientIdLength[session] < 0 || sessions.connection[session] >= 0) continue;
      if (expiry == EXPIRY_NEVER && sessions.willMessage[session] < 0) continue;
      if (sessions.willMessage[session] >= 0 && ((nowMs - sessions.willDueMs[session]) | 0) >= 0) {
        const will = sessions.willMessage[session];
        sessions.willMessage[session] = -1;
        this.willPublish(will, nowMs);
      }
      if (expiry != EXPIRY_NEVER && ((nowMs - sessions.disconnectedAtMs[session]) | 0) >= expiry * 1000) this.sessionEnd(session, nowMs);
    }
  }

  /** The next slot with bytes to send, or -1. */
  nextWritable(): i32 {
    return this.connections.nextWritable();
  }

  /** The next event, `(EVENT_* << 24) | slot`, or -1. */
  nextEvent(): i32 {
    return this.responses.nextEvent();
  }

  // ---- packets ------------------------------------------------------------------------------

  private handle(slot: i32, nowMs: i32): void {
    const type = this.packet.type;
    const state: i32 = this.connections.state[slot];
    if (state == CONNECTION_AWAITING_CONNECT) {
      if (type == CONNECT) this.onConnect(slot, nowMs);
      else this.responses.close(slot); // MQTT-3.1.0-1: the first packet must be CONNECT
      return;
    }
    switch (type) {
      case CONNECT: this.responses.sendDisconnect(slot, 0x82); break; // MQTT-3.1.0-2: a second CONNECT
      case PUBLISH: this.onPublish(slot, nowMs); break;
      case PUBACK: this.flows.puback(slot, this.packet.ack); break;
      case PUBREC: this.flows.pubrec(slot, this.packet.ack); break;
      case PUBREL: this.flows.pubrel(slot, this.packet.ack); break;
      case PUBCOMP: this.flows.pubcomp(slot, this.packet.ack); break;
      case SUBSCRIBE: this.onSubscribe(slot, nowMs); break;
      case UNSUBSCRIBE: this.onUnsubscribe(slot); break;
      case PINGREQ: this.responses.sendEmpty(slot, PINGRESP); break;
      case DISCONNECT: this.onDisconnect(slot); break;
      case AUTH: this.responses.sendDisconnect(slot, 0x82); break; // no enhanced authentication was started
      default: this.responses.sendDisconnect(slot, 0x82); break; // a server-to-client packet from a client
    }
  }

  private onConnect(slot: i32, nowMs: i32): void {
    const connect: ConnectRepr = this.packet.connect;
    const connections = this.connections;
    const version = connect.version;
    const v5 = version == MQTT_5;
    connections.version[slot] = version;
    let clientId = connect.clientId;
    let assigned = false;
    if (clientId.length == 0) {
      // MQTT 3.1 requires an id; 3.1.1 only for a persistent session (MQTT-3.1.3-7, -8).
      if (version == MQTT_3_1 || (!v5 && !connect.cleanStart)) return this.responses.refuseConnect(slot, 2, 0x85);
      clientId = this.assignClientId();
      assigned = true;
    }
    if (clientId.length > this.limits.clientIdSizeMax) return this.responses.refuseConnect(slot, 2, 0x85);
    let keepAlive = connect.keepAlive;
    const keepAliveMax = this.limits.keepAliveMaxSeconds;
    let serverKeepAlive = false;
    if (keepAliveMax > 0 && (keepAlive == 0 || keepAlive > keepAliveMax)) {
      // 3.x has no way to tell the client; Mosquitto refuses such clients the same way.
      if (!v5) return this.responses.refuseConnect(slot, 2, 0x85);
      keepAlive = keepAliveMax;
      serverKeepAlive = true;
    }
    if (this.connections.connected >= this.limits.connectionCountMax) return this.responses.refuseConnect(slot, 3, 0x97);
    const verdict = this.security.authenticate(slot, clientId, connect.usernameFlag, connect.username, connect.passwordFlag, connect.password);
    if (verdict != 0) return this.responses.refuseConnect(slot, verdict == 0x86 ? 4 : 5, verdict); // MQTT-3.2.2 return codes 4, 5

    const sessions = this.sessions;
    let session = sessions.find(clientId);
    if (session >= 0 && sessions.connection[session] >= 0) {
      // Takeover (MQTT-3.1.4-3): the old connection goes, 0x8E Session taken over in 5.0.
      const old = sessions.connection[session];
      sessions.connection[session] = -1;
      this.responses.sendDisconnect(old, 0x8e);
    }
    if (session >= 0 && sessions.willMessage[session] >= 0) {
      // A reconnect cancels a will still waiting out its delay (MQTT-3.1.3-9).
      this.pool.release(sessions.willMessage[session]);
      sessions.willMessage[session] = -1;
    }
    if (session >= 0 && connect.cleanStart) {
      this.sessionEnd(session, nowMs);
      session = -1;
    }
    const sessionPresent = session >= 0;
    if (session < 0) session = sessions.create(clientId);
    if (session < 0) return this.responses.refuseConnect(slot, 3, 0x97);
    sessions.connection[session] = slot;
    sessions.expirySeconds[session] = v5
      ? connect.properties.numberOf(SESSION_EXPIRY_INTERVAL, 0)
      : connect.cleanStart ? 0 : EXPIRY_NEVER;
    this.durable.sessionSave(session);

    connections.session[slot] = session;
    connections.keepAliveMs[slot] = keepAlive * 1000;
    connections.clientPacketSizeMax[slot] = v5 ? connect.properties.numberOf(MAXIMUM_PACKET_SIZE, 0) : 0;
    connections.clientReceiveMax[slot] = v5 ? connect.properties.numberOf(RECEIVE_MAXIMUM, 65535) : 65535;
    connections.clientAliasMax[slot] = v5 ? connect.properties.numberOf(TOPIC_ALIAS_MAXIMUM, 0) : 0;
    if (connect.willFlag) {
      const will = this.ingest.store(connect.willTopic, v5 ? connect.willProperties : null, connect.willPayload, connect.willQos, connect.willRetain,
        v5 ? connect.willProperties.numberOf(MESSAGE_EXPIRY_INTERVAL, -1) : -1, nowMs);
      connections.willMessage[slot] = will; // -1 when the pool is full: the will is lost, and counted
      connections.willDelaySeconds[slot] = v5 ? connect.willProperties.numberOf(WILL_DELAY_INTERVAL, 0) : 0;
    }
    connections.state[slot] = CONNECTION_CONNECTED;
    this.connections.connected++;

    const connack = this.responses.connack;
    connack.version = version;
    connack.sessionPresent = sessionPresent;
    connack.reasonCode = 0;
    const properties = connack.properties;
    properties.clear();
    if (v5) {
      if (this.limits.incomingCountMax < 65535) properties.addNumber(RECEIVE_MAXIMUM, this.limits.incomingCountMax);
      properties.addNumber(MAXIMUM_PACKET_SIZE, this.limits.packetSizeMax);
      if (!this.limits.retainAvailable) properties.addNumber(RETAIN_AVAILABLE, 0);
      properties.addNumber(SHARED_SUBSCRIPTION_AVAILABLE, 0);
      if (this.limits.topicAliasCountMax > 0) properties.addNumber(TOPIC_ALIAS_MAXIMUM, this.limits.topicAliasCountMax);
      if (assigned) properties.addSpan(ASSIGNED_CLIENT_IDENTIFIER, clientId.buffer, clientId.offset, clientId.length);
      if (serverKeepAlive) properties.addNumber(SERVER_KEEP_ALIVE, keepAlive);
    }
    const written = connackEncode(connack, connections.control, connections.controlEnd(slot));
    connections.controlCommit(slot, written);
    if (sessionPresent && sessions.inflightCount[session] > 0) this.deliveries.resendFrom[slot] = 0;
  }

  private onPublish(slot: i32, nowMs: i32): void {
    const publish: PublishRepr = this.packet.publish;
    const connections = this.connections;
    const session = connections.session[slot];
    const v5 = connections.version[slot] == MQTT_5;
    if (publish.properties.has(TOPIC_ALIAS)) {
      const refusal = this.aliases.resolve(slot, publish, nowMs);
      if (refusal != 0) return this.responses.sendDisconnect(slot, refusal);
    }
    if (publish.retain && !this.limits.retainAvailable) return this.responses.sendDisconnect(slot, 0x9a); // MQTT-3.3.1-19
    this.counters[COUNTER_MESSAGES_RECEIVED]++;
    const qos = publish.qos;
    if (!this.security.authorize(this.sessions.clientIdOf(session), ACCESS_WRITE, publish.topic)) {
      // Refused by the ACL: not routed; acknowledged with 0x87 in 5.0, silently in 3.x (as Mosquitto).
      this.counters[COUNTER_DENIED]++;
      if (qos == 2 && this.sessions.incomingFind(session, publish.packetId) < 0) this.flows.receipt(session, publish.packetId, -1);
      if (qos > 0) this.responses.sendAck(slot, qos == 1 ? PUBACK : PUBREC, publish.packetId, 0x87);
      return;
    }
    if (qos == 2 && this.sessions.incomingFind(session, publish.packetId) >= 0) {
      return this.responses.sendAck(slot, PUBREC, publish.packetId, 0); // a resend: routed already (MQTT-4.3.3-10)
    }
    const message = this.ingest.store(publish.topic, publish.properties, publish.payload, qos, publish.retain,
      v5 ? publish.properties.numberOf(MESSAGE_EXPIRY_INTERVAL, -1) : -1, nowMs);
    if (message < 0) {
      this.counters[COUNTER_DROP_POOL_FULL]++;
      if (qos == 0) return;
      if (v5) return this.responses.sendAck(slot, qos == 1 ? PUBACK : PUBREC, publish.packetId, 0x97);
      return this.responses.close(slot); // unacknowledged, so the client publishes it again
    }
    if (qos == 2 && this.sessions.incomingCount[session] == this.sessions.incomingCapacity) {
      this.pool.release(message);
      return this.responses.sendDisconnect(slot, 0x93); // Receive Maximum exceeded
    }
    // A QoS 2 receipt is written around the routing (durable.ts), so a cut in between is undone.
    if (qos == 2) this.durable.receiptBegin(session, publish.packetId, message);
    const deliveries = this.router.route(message, session, publish.topic, nowMs, false);
    if (publish.retain) this.retained.update(this.pool, message, publish.topic, this.scratch);
    if (qos == 2) this.flows.receipt(session, publish.packetId, message);
    this.pool.release(message);
    if (qos > 0) this.responses.sendAck(slot, qos == 1 ? PUBACK : PUBREC, publish.packetId, v5 && deliveries == 0 ? 0x10 : 0);
  }

  private onSubscribe(slot: i32, nowMs: i32): void {
    const subscribe: SubscribeRepr = this.packet.subscribe;
    const connections = this.connections;
    const session = connections.session[slot];
    const v5 = connections.version[slot] == MQTT_5;
    const subscriptionId = v5 ? subscribe.properties.numberOf(SUBSCRIPTION_IDENTIFIER, 0) : 0;
    const topics = this.topics;
    for (let i = 0; i < subscribe.count; i++) {
      const entry = subscribe.subscriptions[i];
      const filter = entry.topicFilter;
      let code = entry.qos;
      if (filterIsShared(filter)) {
        code = v5 ? 0x9e : 0x80; // shared subscriptions are not offered (CONNACK says so)
      } else if (!this.security.authorize(this.sessions.clientIdOf(session), ACCESS_SUBSCRIBE, filter)) {
        code = v5 ? 0x87 : 0x80;
        this.counters[COUNTER_DENIED]++;
      } else {
        const table = topics.subscribe(session, filter);
        if (table < 0) {
          code = v5 ? 0x97 : 0x80;
        } else {
          topics.optionsSet(table, entry.qos, entry.noLocal ? 1 : 0, entry.retainAsPublished ? 1 : 0, entry.retainHandling, subscriptionId);
          this.durable.subscriptionSave(table);
          // MQTT 5 §3.3.1.3: 0 sends retained messages, 1 only for a new subscription, 2 never.
          const handling = entry.retainHandling;
          if (handling == 0 || (handling == 1 && !topics.existed)) this.router.sendRetained(session, table, nowMs);
        }
      }
      this.reasonCodes[i] = code;
    }
    this.responses.sendAckList(slot, SUBACK, subscribe.packetId, this.reasonCodes, subscribe.count);
  }

  private onUnsubscribe(slot: i32): void {
    const unsubscribe: SubscribeRepr = this.packet.subscribe;
    const connections = this.connections;
    const session = connections.session[slot];
    const topics = this.topics;
    for (let i = 0; i < unsubscribe.count; i++) {
      const table = topics.find(session, unsubscribe.subscriptions[i].topicFilter);
      if (table >= 0) {
        this.durable.subscriptionForget(table, session);
        topics.free(table);
      }
      this.reasonCodes[i] = table >= 0 ? 0 : 0x11; // No subscription existed
    }
    this.responses.sendAckList(slot, UNSUBACK, unsubscribe.packetId, this.reasonCodes, unsubscribe.count);
  }

  private onDisconnect(slot: i32): void {
    const connections = this.connections;
    const disconnect = this.packet.disconnect;
    const session = connections.session[slot];
    if (connections.version[slot] == MQTT_5) {
      const expiry = disconnect.properties.numberOf(SESSION_EXPIRY_INTERVAL, -2);
      if (expiry != -2) {
        // MQTT-3.14.2-2: a session that was to end at disconnect may not be given a life now.
        if (this.sessions.expirySeconds[session] == 0 && expiry != 0) return this.responses.sendDisconnect(slot, 0x82);
        this.sessions.expirySeconds[session] = expiry;
        this.durable.sessionSave(session);
      }
    }
    // Reason 0x04 asks for the will all the same (MQTT 5 §3.14.2.1).
    if (disconnect.reasonCode != 0x04) connections.normalDisconnect[slot] = 1;
    this.responses.close(slot);
  }

  // ---- routing and delivery -------------------------------------------------------------------

  private willPending(session: i32, will: i32, dueMs: i32): void {
    this.sessions.willMessage[session] = will;
    this.sessions.willDueMs[session] = dueMs;
  }

  /** Routes a will (and retains it if it asks to), then drops the connection's reference. */
  private willPublish(will: i32, nowMs: i32): void {
    this.router.route(will, -1, this.topicSpan, nowMs, true); // the topic is read from the pool
    this.pool.release(will);
  }

  // ---- sessions ---------------------------------------------------------------------------------

  /** Ends `session`: its queue, in-flight messages and subscriptions go (MQTT-3.1.2-4). */
  private sessionEnd(session: i32, nowMs: i32): void {
    const sessions = this.sessions;
    this.durable.sessionForget(session); // its records first, the session's own before its children's
    const will = sessions.willMessage[session];
    if (will >= 0) {
      sessions.willMessage[session] = -1;
      this.willPublish(will, nowMs); // the session ends before the Will Delay: publish now (MQTT 5 §3.1.3.2.2)
    }
    let index = sessions.queueFront(session);
    while (index >= 0) {
      this.pool.release(sessions.queueMessage[index]);
      sessions.queuePop(session);
      index = sessions.queueFront(session);
    }
    const base = session * sessions.inflightCapacity;
    for (let i = base; i < base + sessions.inflightCapacity; i++) {
      if (sessions.inflightState[i] != INFLIGHT_FREE) this.flows.inflightDone(session, i);
    }
    this.topics.removeSession(session);
    sessions.free(session);
  }

  /** A client id for a client that sent none: "wren-" and 8 hex digits, unique while the counter runs. */
  private assignClientId(): Span {
    const scratch = this.scratch;
    const prefix = "wren-";
    for (let i = 0; i < prefix.length; i++) scratch[i] = prefix.charCodeAt(i);
    let value = this.assignedIdCounter;
    this.assignedIdCounter = (value + 1) | 0;
    for (let i = 7; i >= 0; i--) {
      const digit = value & 15;
      scratch[prefix.length + i] = digit < 10 ? 0x30 + digit : 0x57 + digit;
      value = value >>> 4;
    }
    this.span.set(scratch, 0, prefix.length + 8);
    return this.span;
  }

}

/** True for `$share/…` filters (MQTT 5 §4.8.2). */
function filterIsShared(filter: Span): bool {
  const prefix = "$share/";
  if (filter.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (filter.at(i) != prefix.charCodeAt(i)) return false;
  return true;
}
