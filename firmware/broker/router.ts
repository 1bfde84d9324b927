/**
 * Routing: turning one stored message into deliveries. Every subscription whose filter matches
 * the topic (MQTT 5 §4.7) gets one delivery queued on its session at the lower of the two QoS
 * (MQTT-3.8.4-6), unless No Local skips the publisher's own (MQTT-3.8.3-3) or the ACL says the
 * subscriber may not read it. Retained messages are matched the same way on subscribe.
 * A full queue drops the delivery and counts it; a connected subscriber's queue at half raises
 * `pressure`, which pauses the broker's input until the host has drained it.
 */
import { Span } from "../core/bytes";
import { topicMatches } from "../codec/topic";
import { ACCESS_READ, Security } from "../hal/security";
import { MessagePool } from "./messages";
import { TopicTable } from "./topic_table";
import { RetainedTable } from "./retained";
import { Sessions } from "./sessions";
import { Connections } from "./connections";
import { COUNTER_DROP_QUEUE_FULL } from "./counters";
import { DELIVERY_REFUSED, Durable } from "./durable";

export class Router {
  private readonly pool: MessagePool;
  private readonly topics: TopicTable;
  private readonly retained: RetainedTable;
  private readonly sessions: Sessions;
  private readonly connections: Connections;
  private readonly security: Security;
  private readonly counters: Int32Array;
  private readonly durable: Durable;
  private readonly scratch: Uint8Array;
  private readonly topicSpan: Span = new Span();
  /** Set when a connected subscriber's queue reaches half; the broker clears it. */
  pressure: bool = false;

  constructor(pool: MessagePool, topics: TopicTable, retained: RetainedTable, sessions: Sessions,
    connections: Connections, security: Security, counters: Int32Array, topicSizeMax: i32, durable: Durable) {
    this.durable = durable;
    this.pool = pool;
    this.topics = topics;
    this.retained = retained;
    this.sessions = sessions;
    this.connections = connections;
    this.security = security;
    this.counters = counters;
    this.scratch = new Uint8Array(topicSizeMax);
  }

  /**
   * Queues message `message` (topic `topic`) for every matching subscription, skipping
   * `publisher`'s own with No Local. Returns the number of deliveries queued.
   */
  route(message: i32, publisher: i32, topic: Span, nowMs: i32, isWill: bool): i32 {
    const pool = this.pool;
    const topics = this.topics;
    const sessions = this.sessions;
    let name = topic;
    if (isWill) {
      // A will's topic lives only in the pool: copy it out to match against.
      pool.read(message, 0, pool.topicLength[message], this.scratch, 0);
      this.topicSpan.set(this.scratch, 0, pool.topicLength[message]);
      name = this.topicSpan;
    }
    const messageQos: i32 = pool.qos[message];
    const retained = pool.retain[message] != 0;
    let queued: i32 = 0;
    let place = topics.nextMatch(name, 0);
    while (place >= 0) {
      const slot = topics.inUse[place];
      const session = topics.session[slot];
      if (!(topics.noLocal[slot] != 0 && session == publisher) &&
        this.security.authorize(sessions.clientIdOf(session), ACCESS_READ, name)) {
        const connection = sessions.connection[session];
        const subscriptionQos: i32 = topics.qos[slot];
        const qos = messageQos < subscriptionQos ? messageQos : subscriptionQos;
        // Offline persistent sessions keep QoS 1/2 only, as Mosquitto does by default.
        if (connection >= 0 || qos > 0) {
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
    if (isWill && pool.retain[message] != 0) this.retained.update(pool, message, name, this.scratch);
    return queued;
  }

  /** Queues the retained messages matching subscription `table` for `session` (retain flag set, MQTT-3.3.1-8). */
  sendRetained(session: i32, table: i32, nowMs: i32): void {
    const pool = this.pool;
    const retained = this.retained;
    const filter = this.topics.filterOf(table);
    for (let i = 0; i < retained.message.length; i++) {
      const message = retained.message[i];
      if (message < 0) continue;
      pool.read(message, 0, pool.topicLength[message], this.scratch, 0);
      this.topicSpan.set(this.scratch, 0, pool.topicLength[message]);
      if (!topicMatches(filter, this.topicSpan)) continue;
      if (!this.security.authorize(this.sessions.clientIdOf(session), ACCESS_READ, this.topicSpan)) continue;
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
