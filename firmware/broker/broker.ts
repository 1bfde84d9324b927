/**
 * The mini-broker core: sans-I/O. The host opens a slot per socket, hands it received bytes
 * (`input`), collects bytes to send (`output`, for the slots `nextWritable` names), reports
 * closed sockets (`closed`), and calls `poll` when `poll` last said to. Time is passed in as
 * wrap-safe i32 milliseconds (intervals of days are kept on the Clock: core/time.ts). Results
 * the host must act on are pulled with `nextEvent` (kind), `eventSlot` and `eventReason`.
 * Who may do what is asked of Permissions; a session's life (CONNECT, close, will, expiry) is
 * lifecycle.ts.
 *
 * One PUBLISH is stored once in the MessagePool and referenced by every delivery; routing
 * only appends (message, QoS) to the subscribers' session queues, and each connection's
 * `output` encodes its own deliveries when the host has room to send them. So a slow
 * subscriber fills only its own bounded queue, and a host write per socket per turn carries
 * everything due on it.
 *
 * Limits and their stated behaviour (each counted in `counters`):
 * - connection table full: CONNACK 0x97 Quota exceeded (5.0) / 3 Server unavailable (3.x);
 *   sockets still without CONNECT have their own share of the table (`connectingCountMax`),
 *   the oldest pushed out to make room, and `connectTimeoutMs`; no slot at all: `open`
 *   returns -1 and the host closes the socket;
 * - session table full, or the user's share of it (`sessionsPerUserMax`): the same refusal;
 * - topic table full or filter too long: SUBACK 0x97 (5.0) / 0x80 (3.x) for that filter;
 * - a connected subscriber's queue full: a QoS 1/2 publisher waits (its input pauses) while
 *   the subscriber makes progress, up to `queueWaitMs` without; then, and for QoS 0 and for
 *   offline sessions, the delivery is dropped (DROP_QUEUE_FULL);
 * - a connection the host holds `outputBytesMax` for: QoS 0 copies dropped (DROP_CONGESTED);
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
import { Clock } from "../core/time";
import { Limits } from "../limits";
import {
  AUTH, CONNECT, DISCONNECT, MQTT_5, PINGREQ, PINGRESP, PUBACK, PUBCOMP, PUBLISH, PUBREC, PUBREL, SESSION_EXPIRY_INTERVAL,
  SUBACK, SUBSCRIBE, SUBSCRIPTION_IDENTIFIER, TOPIC_ALIAS, UNSUBACK, UNSUBSCRIBE,
} from "../codec/constants";
import { PacketRepr, packetDecode } from "../codec/packet";
import { PublishRepr } from "../codec/publish";
import { SubscribeRepr } from "../codec/subscribe";
import { Security } from "../hal/security";
import { Store } from "../store/store";
import { Deliveries } from "./deliveries";
import { Responses } from "./responses";
import { Router } from "./router";
import { Ingest } from "./ingest";
import { TopicAliases } from "./aliases";
import { SysReport } from "./sys";
import { Permissions } from "./permissions";
import { SessionLife } from "./lifecycle";
import { MessagePool, MESSAGE_CHUNK_SIZE } from "./messages";
import { TopicTable } from "./topic_table";
import { RetainedTable } from "./retained";
import { Durable } from "./durable";
import { Flows } from "./flows";
import { Sessions } from "./sessions";
import {
  CONNECTION_AWAITING_CONNECT, CONNECTION_CLOSING, CONNECTION_CONNECTED, CONNECTION_FREE, CONTROL_RESERVE, Connections, INPUT_CONTROL_FULL,
  INPUT_FLOWING, INPUT_PRESSURE, INPUT_SUBSCRIBER_FULL,
} from "./connections";
import {
  CLOSE_BY_CLIENT, CLOSE_CONNECT_TIMEOUT, CLOSE_PUSHED_OUT, COUNTER_BYTES_RECEIVED, COUNTER_BYTES_SENT,
  COUNTER_CONNECT_ABANDONED, COUNTER_COUNT, COUNTER_DENIED, COUNTER_DROP_POOL_FULL, COUNTER_MESSAGES_RECEIVED,
  COUNTER_REFUSED_CONNECTIONS,
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
  /** Every entry point reads the host's time into it first. */
  readonly clock: Clock;

  private readonly packet: PacketRepr;
  private readonly ingest: Ingest;
  private readonly scratch: Uint8Array;
  private readonly reasonCodes: Uint8Array;
  private readonly responses: Responses;
  private readonly permissions: Permissions;
  private readonly life: SessionLife;
  private readonly deliveries: Deliveries;
  private readonly router: Router;
  private readonly sys: SysReport;
  private readonly aliases: TopicAliases;
  private readonly flows: Flows;

  /** `store`: where persistent state is kept (the flash store), or null to keep everything in RAM. */
  constructor(limits: Limits, security: Security, store: Store | null) {
    const clock = new Clock();
    const slots = limits.connectionCountMax + limits.connectingCountMax + REFUSAL_SLOTS;
    const connections = new Connections(slots, limits.topicAliasCountMax, limits.clientIdSizeMax, limits.usernameSizeMax);
    const sessions = new Sessions(limits.sessionCountMax, limits.clientIdSizeMax, limits.usernameSizeMax, limits.queueCountMax,
      limits.inflightCountMax, limits.incomingCountMax, clock);
    const chunks = ((limits.messageBytesMax + MESSAGE_CHUNK_SIZE - 1) / MESSAGE_CHUNK_SIZE) | 0;
    const pool = new MessagePool(limits.messageCountMax, chunks, clock);
    const counters = new Int32Array(COUNTER_COUNT);
    this.clock = clock;
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
    const deliveries = new Deliveries(pool, sessions, connections, counters, aliases, durable);
    this.deliveries = deliveries;
    const retained = new RetainedTable(limits.retainedCountMax, durable);
    this.topics = topics;
    this.retained = retained;
    const permissions = new Permissions(security, sessions);
    this.permissions = permissions;
    const router = new Router(pool, topics, retained, sessions, connections, permissions, counters, limits.packetSizeMax, durable,
      clock, limits.queueWaitMs);
    const ingest = new Ingest(pool, limits.propertyCountMax, limits.packetSizeMax);
    this.router = router;
    this.ingest = ingest;
    this.sys = new SysReport(connections, sessions, topics, pool, retained, counters, router, ingest);
    this.packet = new PacketRepr(limits);
    this.scratch = new Uint8Array(limits.packetSizeMax);
    this.reasonCodes = new Uint8Array(limits.topicFilterCountMax);
    const responses = new Responses(connections, counters);
    this.responses = responses;
    const flows = new Flows(sessions, connections, pool, responses, durable);
    this.flows = flows;
    this.life = new SessionLife(limits, security, permissions, connections, sessions, pool, ingest, router, retained, durable,
      topics, flows, deliveries, responses, counters, clock);
  }

  // ---- the host's calls ---------------------------------------------------------------------

  /**
   * Rebuilds persistent sessions, their subscriptions, queues and in-flight deliveries, QoS 2
   * receipts and retained messages from the store (after its `recover`, before any `open`).
   * Returns the records restored; what did not fit is counted (COUNTER_RESTORE_DROPPED).
   */
  restore(nowMs: i32): i32 {
    this.clock.advance(nowMs);
    return this.durable.restore(this.retained);
  }

  /**
   * A socket was accepted. Returns its slot, or -1 when even the refusal slots are taken. When
   * `connectingCountMax` sockets are already waiting for their CONNECT, the one waiting longest
   * is closed to make room (CLOSE_PUSHED_OUT): idle or slow sockets cannot lock clients out.
   */
  open(nowMs: i32): i32 {
    this.clock.advance(nowMs);
    const connections = this.connections;
    let awaiting: i32 = 0;
    let oldest: i32 = -1;
    for (let slot = 0; slot < connections.count; slot++) {
      if (connections.state[slot] != CONNECTION_AWAITING_CONNECT) continue;
      awaiting++;
      if (oldest < 0 || ((connections.openedAtMs[oldest] - connections.openedAtMs[slot]) | 0) > 0) oldest = slot;
    }
    if (awaiting >= this.limits.connectingCountMax) {
      this.counters[COUNTER_CONNECT_ABANDONED]++;
      this.responses.close(oldest, CLOSE_PUSHED_OUT);
    }
    const slot = connections.open(nowMs);
    if (slot < 0) this.counters[COUNTER_REFUSED_CONNECTIONS]++;
    else this.deliveries.resendFrom[slot] = -1;
    return slot;
  }

  /**
   * Bytes arrived on `slot`. Returns how many were consumed; the host keeps the rest and offers
   * it again after more arrive, or — when `inputBlocked(slot)` says input paused — after output
   * moved. Input pauses (back-pressure, in place of dropping what was acknowledged):
   * - INPUT_CONTROL_FULL: the slot's control buffer cannot take another response until the host
   *   collects its output (a peer that sends PINGREQs or publishes and never reads stops here);
   * - INPUT_PRESSURE: a connected subscriber's queue reached half: collect output, then go on;
   * - INPUT_SUBSCRIBER_FULL: a QoS 1/2 PUBLISH is not taken while a connected subscriber it
   *   goes to has a full queue and is making progress (Router.blocked); it is taken when the
   *   subscriber drains, or after `queueWaitMs` without progress (then that copy is dropped).
   */
  input(slot: i32, nowMs: i32, source: Uint8Array, offset: i32, length: i32): i32 {
    const connections = this.connections;
    this.clock.advance(nowMs);
    connections.inputBlocked[slot] = INPUT_FLOWING;
    if (connections.state[slot] == CONNECTION_CLOSING || connections.state[slot] == CONNECTION_FREE) return length;
    let used: i32 = 0;
    const limits = this.limits;
    while (used < length && connections.state[slot] != CONNECTION_CLOSING) {
      if (connections.controlRoom(slot) < CONTROL_RESERVE) {
        connections.inputBlocked[slot] = INPUT_CONTROL_FULL;
        break;
      }
      // Before CONNECT, the first packet may be no larger than connectSizeMax.
      const awaiting = connections.state[slot] == CONNECTION_AWAITING_CONNECT;
      const sizeMax = awaiting && limits.connectSizeMax < limits.packetSizeMax ? limits.connectSizeMax : limits.packetSizeMax;
      const result = packetDecode(source, offset + used, length - used, this.packet, connections.version[slot], sizeMax);
      if (result == 0) break;
      if (result < 0) {
        this.responses.refuse(slot, result);
        return length;
      }
      connections.lastInputMs[slot] = nowMs; // the client did send it, taken now or not
      if (this.packet.type == PUBLISH && !awaiting) {
        const publish = this.packet.publish;
        if (publish.properties.has(TOPIC_ALIAS)) {
          const refusal = this.aliases.resolve(slot, publish);
          if (refusal != 0) {
            this.responses.sendDisconnect(slot, refusal);
            return length;
          }
        }
        if (publish.qos > 0 && this.router.blocked(connections.session[slot], publish.topic, publish.qos)) {
          connections.inputBlocked[slot] = INPUT_SUBSCRIBER_FULL;
          break;
        }
      }
      used += result;
      this.counters[COUNTER_BYTES_RECEIVED] += result;
      this.handle(slot, nowMs);
      if (this.router.pressure) {
        this.router.pressure = false;
        connections.inputBlocked[slot] = INPUT_PRESSURE;
        break;
      }
    }
    return used;
  }

  /** Why the last `input` on `slot` stopped short (INPUT_*), INPUT_FLOWING when it did not pause. */
  inputBlocked(slot: i32): i32 {
    return this.connections.inputBlocked[slot];
  }

  /**
   * The host holds `outputBytesMax` or more for `slot` and takes no more output for now (true),
   * or has drained (false). While congested, QoS 0 deliveries to it are dropped and counted
   * (COUNTER_DROP_CONGESTED); QoS 1/2 deliveries wait in its session's queue.
   */
  congestedSet(slot: i32, congested: bool): void {
    this.connections.congested[slot] = congested ? 1 : 0;
  }

  /**
   * Writes what `slot` should send next into `target[offset .. offset+capacity)`. Returns the
   * byte count; 0 when nothing is due. Call until it returns 0 or the socket is full.
   */
  output(slot: i32, nowMs: i32, target: Uint8Array, offset: i32, capacity: i32): i32 {
    const connections = this.connections;
    this.clock.advance(nowMs);
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
    this.clock.advance(nowMs);
    if (connections.state[slot] == CONNECTION_FREE) return;
    if (connections.state[slot] == CONNECTION_CONNECTED) connections.connected--;
    this.aliases.release(slot);
    this.life.connectionClosed(slot);
    connections.controlLength[slot] = 0;
    connections.free(slot);
  }

  /**
   * Runs timers: connect timeouts, keepalive (1.5 × Keep Alive, MQTT-3.1.2-22), delayed wills,
   * session expiry, $SYS.
   */
  poll(nowMs: i32): void {
    this.clock.advance(nowMs);
    this.sys.publishDue(nowMs, this.connections.connected, this.limits.sysIntervalSeconds);
    const connections = this.connections;
    for (let slot = 0; slot < connections.count; slot++) {
      const state: i32 = connections.state[slot];
      if (state == CONNECTION_AWAITING_CONNECT && ((nowMs - connections.openedAtMs[slot]) | 0) > this.limits.connectTimeoutMs) {
        this.counters[COUNTER_CONNECT_ABANDONED]++;
        this.responses.close(slot, CLOSE_CONNECT_TIMEOUT);
      } else if (state == CONNECTION_CONNECTED && connections.keepAliveMs[slot] > 0 &&
        ((nowMs - connections.lastInputMs[slot]) | 0) > connections.keepAliveMs[slot] + (connections.keepAliveMs[slot] >> 1)) {
        this.responses.sendDisconnect(slot, 0x8d); // Keep Alive timeout
      }
    }
    this.life.expire();
  }

  /** The next slot with bytes to send, or -1. */
  nextWritable(): i32 {
    return this.connections.nextWritable();
  }

  /** Pulls the next event: its kind (EVENT_*), or -1; then `eventSlot` and `eventReason` describe it. */
  nextEvent(): i32 {
    return this.responses.nextEvent();
  }

  get eventSlot(): i32 {
    return this.responses.eventSlot;
  }

  get eventReason(): i32 {
    return this.responses.eventReason;
  }

  // ---- packets ------------------------------------------------------------------------------

  private handle(slot: i32, nowMs: i32): void {
    const type = this.packet.type;
    const state: i32 = this.connections.state[slot];
    if (state == CONNECTION_AWAITING_CONNECT) {
      if (type == CONNECT) this.life.accept(slot, this.packet.connect);
      else this.responses.close(slot, 0x82); // MQTT-3.1.0-1: the first packet must be CONNECT
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

  private onPublish(slot: i32, nowMs: i32): void {
    const publish: PublishRepr = this.packet.publish;
    const connections = this.connections;
    const session = connections.session[slot];
    const v5 = connections.version[slot] == MQTT_5;
    if (publish.retain && !this.limits.retainAvailable) return this.responses.sendDisconnect(slot, 0x9a); // MQTT-3.3.1-19
    this.counters[COUNTER_MESSAGES_RECEIVED]++;
    const qos = publish.qos;
    if (!this.permissions.mayPublish(session, publish.topic, connections.internal[slot] != 0)) {
      // Refused ($SYS, $share, the ACL): not routed; acknowledged with 0x87 in 5.0, silently in 3.x (as Mosquitto).
      this.counters[COUNTER_DENIED]++;
      if (qos == 2 && this.sessions.incomingFind(session, publish.packetId) < 0) this.flows.receipt(session, publish.packetId, -1);
      if (qos > 0) this.responses.sendAck(slot, qos == 1 ? PUBACK : PUBREC, publish.packetId, 0x87);
      return;
    }
    if (qos == 2 && this.sessions.incomingFind(session, publish.packetId) >= 0) {
      return this.responses.sendAck(slot, PUBREC, publish.packetId, 0); // a resend: routed already (MQTT-4.3.3-10)
    }
    const message = this.ingest.store(publish.topic, v5 ? publish.properties : null, publish.payload, qos, publish.retain);
    if (message < 0) {
      this.counters[COUNTER_DROP_POOL_FULL]++;
      if (qos == 0) return;
      if (v5) return this.responses.sendAck(slot, qos == 1 ? PUBACK : PUBREC, publish.packetId, 0x97);
      return this.responses.close(slot, 0x97); // unacknowledged, so the client publishes it again
    }
    if (qos == 2 && this.sessions.incomingCount[session] == this.sessions.incomingCapacity) {
      this.pool.release(message);
      return this.responses.sendDisconnect(slot, 0x93); // Receive Maximum exceeded
    }
    // A QoS 2 receipt is written around the routing (durable.ts), so a cut in between is undone.
    if (qos == 2) this.durable.receiptBegin(session, publish.packetId, message);
    const deliveries = this.router.route(message, session, publish.topic);
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
      } else if (!this.permissions.maySubscribe(session, filter)) {
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
          if (handling == 0 || (handling == 1 && !topics.existed)) this.router.sendRetained(session, table);
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
    this.responses.close(slot, CLOSE_BY_CLIENT | disconnect.reasonCode);
  }

}

/** True for `$share/…` filters (MQTT 5 §4.8.2). */
function filterIsShared(filter: Span): bool {
  const prefix = "$share/";
  if (filter.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (filter.at(i) != prefix.charCodeAt(i)) return false;
  return true;
}
