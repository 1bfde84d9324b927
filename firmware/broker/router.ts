/**
 * Routing: turning one stored message into deliveries. Every subscription whose filter matches
 * the topic (MQTT 5 §4.7) gets one delivery queued on its session at the lower of the two QoS
 * (MQTT-3.8.4-6), unless No Local skips the publisher's own (MQTT-3.8.3-3) or the ACL says the
 * subscriber may not read it. Retained messages are matched the same way on subscribe.
 * A full queue drops the delivery and counts it — but before a QoS 1/2 PUBLISH is taken at all,
 * `blocked` asks whether it should wait for a connected subscriber to drain instead (back-
 * pressure on the publisher); a connected subscriber's queue at half raises `pressure`, which
 * pauses the broker's input until the host has collected output. A connection the host marked
 * congested gets no QoS 0 copies (dropped and counted).
 */
import { Span } from "../core/bytes";
import { topicMatches } from "../codec/topic";
import { Permissions } from "./permissions";
import { MessagePool } from "./messages";
import { TopicTable } from "./topic_table";
import { RetainedTable } from "./retained";
import { Sessions } from "./sessions";
import { Connections, INPUT_SUBSCRIBER_FULL } from "./connections";
import { COUNTER_DROP_CONGESTED, COUNTER_DROP_QUEUE_FULL } from "./counters";
import { Clock } from "../core/time";
import { DELIVERY_REFUSED, Durable } from "./durable";

export class Router {
  private readonly pool: MessagePool;
  private readonly topics: TopicTable;
  private readonly retained: RetainedTable;
  private readonly sessions: Sessions;
  private readonly connections: Connections;
  private readonly permissions: Permissions;
  private readonly counters: Int32Array;
  private readonly durable: Durable;
  private readonly scratch: Uint8Array;
  private readonly topicSpan: Span = new Span();
  /** Set when a connected subscriber's queue reaches half; the broker clears it. */
  pressure: bool = false;

  private readonly clock: Clock;
  private readonly queueWaitMs: i32;

  constructor(pool: MessagePool, topics: TopicTable, retained: RetainedTable, sessions: Sessions,
    connections: Connections, permissions: Permissions, counters: Int32Array, topicSizeMax: i32, durable: Durable,
    clock: Clock, queueWaitMs: i32) {
    this.clock = clock;
    this.queueWaitMs = queueWaitMs;
    this.durable = durable;
    this.pool = pool;
    this.topics = topics;
    this.retained = retained;
    this.sessions = sessions;
    this.connections = connections;
    this.permissions = permissions;
    this.counters = counters;
    this.scratch = new Uint8Array(topicSizeMax);
  }

  /**
   * Queues message `message` (topic `topic`) for every matching subscription, skipping
   * `publisher`'s own with No Local. Returns the number of deliveries queued.
   */
  route(message: i32, publisher: i32, name: Span): i32 {
    const pool = this.pool;
    const topics = this.topics;
    const sessions = this.sessions;
    const messageQos: i32 = pool.qos[message];
    const retained = pool.retain[message] != 0;
    let queued: i32 = 0;
    let place = topics.nextMatch(name, 0);
    while (place >= 0) {
      const slot = topics.inUse[place];
      const session = topics.session[slot];
      if (!(topics.noLocal[slot] != 0 && session == publisher) && this.permissions.mayRead(session, name)) {
        const connection = sessions.connection[session];
        const subscriptionQos: i32 = topics.qos[slot];
        const qos = messageQos < subscriptionQos ? messageQos : subscriptionQos;
        // Offline persistent sessions keep QoS 1/2 only, as Mosquitto does by default; a
        // connection the host is not taking output from (congested) loses its QoS 0 copies.
        if (connection >= 0 && qos == 0 && this.connections.congested[connection] != 0) {
          this.counters[COUNTER_DROP_CONGESTED]++;
        } else if (connection >= 0 || qos > 0) {
          const retainFlag = topics.retainAsPublished[slot] != 0 && retained; // MQTT-3.3.1-12, -13
          if (this.queue(session, message, qos, retainFlag, topics.subscriptionId[slot])) {
            queued++;
            if (connection >= 0) {
              this.connections.markWritable(connection);
              // A connected subscriber's queue half full: let the host drain it before more input.
              if (sessions.queueLength[session] * 2 >= sessions.queueCapacity) this.pressure = true;
            }
          }
        }
      }
      place = topics.nextMatch(name, place + 1);
    }
    return queued;
  }

  /**
   * Whether a QoS `qos` (> 0) PUBLISH from `publisher` to `topic` must wait: some connected
   * subscriber it would reach with QoS 1/2 has a full queue, moved within `queueWaitMs`, and is
   * not itself a publisher waiting (so waits never form a cycle), nor the publisher (whose acks
   * would be stuck behind the PUBLISH). A session with two matching subscriptions and one free
   * place gets the first copy and loses the second (counted): waits look at full queues only.
   */
  blocked(publisher: i32, topic: Span, qos: i32): bool {
    const sessions = this.sessions;
    if (sessions.fullCount == 0) return false;
    const topics = this.topics;
    const connections = this.connections;
    let place = topics.nextMatch(topic, 0);
    while (place >= 0) {
      const slot = topics.inUse[place];
      const session = topics.session[slot];
      const connection = sessions.connection[session];
      if (session != publisher && connection >= 0 && topics.qos[slot] > 0 && sessions.queueFull(session) &&
        connections.inputBlocked[connection] != INPUT_SUBSCRIBER_FULL) {
        const idleMs = (this.clock.nowMs - sessions.queueMovedAtMs[session]) | 0;
        if (idleMs >= 0 && idleMs < this.queueWaitMs && this.permissions.mayRead(session, topic)) return true;
      }
      place = topics.nextMatch(topic, place + 1);
    }
    return false;
  }

  /** Queues the retained messages matching subscription `table` for `session` (retain flag set, MQTT-3.3.1-8). */
  sendRetained(session: i32, table: i32): void {
    const pool = this.pool;
    const retained = this.retained;
    const filter = this.topics.filterOf(table);
    for (let i = 0; i < retained.message.length; i++) {
      const message = retained.message[i];
      if (message < 0) continue;
      pool.read(message, 0, pool.topicLength[message], this.scratch, 0);
      this.topicSpan.set(this.scratch, 0, pool.topicLength[message]);
      if (!topicMatches(filter, this.topicSpan)) continue;
      if (!this.permissions.mayRead(session, this.topicSpan)) continue;
      const messageQos: i32 = pool.qos[message];
      const subscriptionQos: i32 = this.topics.qos[table];
      const qos = messageQos < subscriptionQos ? messageQos : subscriptionQos;
      this.queue(session, message, qos, true, this.topics.subscriptionId[table]);
    }
    const connection = this.sessions.connection[session];
    if (connection >= 0) this.connections.markWritable(connection);
  }

  /**
   * Queues one delivery, written to the store first when its session is persistent. Returns
   * false when it was dropped: the queue is full (COUNTER_DROP_QUEUE_FULL) or the store is
   * (counted by Durable).
   */
  private queue(session: i32, message: i32, qos: i32, retain: bool, subscriptionId: i32): bool {
    if (this.sessions.queueFull(session)) {
      this.counters[COUNTER_DROP_QUEUE_FULL]++;
      return false;
    }
    const record = this.durable.deliveryAppend(session, message, qos, retain, subscriptionId);
    if (record == DELIVERY_REFUSED) return false;
    this.sessions.queuePush(session, message, qos, retain, subscriptionId, record);
    this.pool.retainReference(message);
    return true;
  }
}
