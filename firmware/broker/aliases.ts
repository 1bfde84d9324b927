/**
 * Topic aliases a 5.0 client sets (MQTT 5 §3.3.2.3.4): per connection, up to the Topic Alias
 * Maximum we announce, each a topic-only message in the MessagePool (so aliases cost pool
 * chunks only while in use), released when the connection closes.
 */
import { Span } from "../core/bytes";
import { TOPIC_ALIAS } from "../codec/constants";
import { PublishRepr } from "../codec/publish";
import { MessagePool } from "./messages";
import { Connections } from "./connections";
import { COUNTER_DROP_POOL_FULL } from "./counters";

export class TopicAliases {
  private readonly pool: MessagePool;
  private readonly connections: Connections;
  private readonly counters: Int32Array;
  private readonly empty: Span = new Span();
  /** The topic an alias stands for, copied out of the pool for the PUBLISH being handled. */
  private readonly aliasTopic: Uint8Array;

  constructor(pool: MessagePool, connections: Connections, counters: Int32Array, topicSizeMax: i32) {
    this.pool = pool;
    this.connections = connections;
    this.counters = counters;
    this.aliasTopic = new Uint8Array(topicSizeMax);
  }

  /**
   * Applies a Topic Alias (MQTT 5 §3.3.2.3.4): a topic with an alias sets it, an empty topic
   * uses it (then `publish.topic` is pointed at the stored topic). Returns 0, or the reason to
   * close the connection with: 0x94 for an alias of 0 or above our maximum, 0x82 for an unknown one.
   */
  resolve(slot: i32, publish: PublishRepr, nowMs: i32): i32 {
    const connections = this.connections;
    const alias = publish.properties.numberOf(TOPIC_ALIAS, 0);
    if (alias < 1 || alias > connections.aliasCount) return 0x94; // Topic Alias invalid
    const index = slot * connections.aliasCount + alias - 1;
    const pool = this.pool;
    if (publish.topic.length > 0) {
      if (connections.aliasMessage[index] >= 0) pool.release(connections.aliasMessage[index]);
      connections.aliasMessage[index] = pool.allocate(publish.topic, this.empty, this.empty, 0, false, -1, nowMs);
      if (connections.aliasMessage[index] < 0) this.counters[COUNTER_DROP_POOL_FULL]++; // the next use of the alias fails
      return 0;
    }
    const message = connections.aliasMessage[index];
    if (message < 0) return 0x82; // an alias never set: Protocol Error
    pool.read(message, 0, pool.topicLength[message], this.aliasTopic, 0);
    publish.topic.set(this.aliasTopic, 0, pool.topicLength[message]);
    return 0;
  }

  /** Drops every alias of `slot` (at close). */
  release(slot: i32): void {
    const connections = this.connections;
    const base = slot * connections.aliasCount;
    for (let i = base; i < base + connections.aliasCount; i++) {
      if (connections.aliasMessage[i] >= 0) this.pool.release(connections.aliasMessage[i]);
      connections.aliasMessage[i] = -1;
    }
  }
}
