/**
 * Topic aliases in both directions (MQTT 5 §3.3.2.3.4), per connection. Those the client sets
 * (up to the Topic Alias Maximum we announce) are topic-only messages in the MessagePool, so an
 * alias costs pool chunks only while in use. Those we set towards a client that allows them
 * are topic-only messages too; when all are taken the oldest is reused.
 * Both sets are released when the connection closes: aliases live as long as the connection.
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
  private readonly compare: Uint8Array;
  private readonly view: Span = new Span();

  constructor(pool: MessagePool, connections: Connections, counters: Int32Array, topicSizeMax: i32) {
    this.pool = pool;
    this.connections = connections;
    this.counters = counters;
    this.aliasTopic = new Uint8Array(topicSizeMax);
    this.compare = new Uint8Array(topicSizeMax);
  }

  /**
   * Applies a Topic Alias (MQTT 5 §3.3.2.3.4): a topic with an alias sets it, an empty topic
   * uses it (then `publish.topic` is pointed at the stored topic). Returns 0, or the reason to
   * close the connection with: 0x94 for an alias of 0 or above our maximum, 0x82 for an unknown one.
   * Applying it again to the same PUBLISH (offered again after input paused) changes nothing.
   */
  resolve(slot: i32, publish: PublishRepr): i32 {
    const connections = this.connections;
    const alias = publish.properties.numberOf(TOPIC_ALIAS, 0);
    if (alias < 1 || alias > connections.aliasCount) return 0x94; // Topic Alias invalid
    const index = slot * connections.aliasCount + alias - 1;
    const pool = this.pool;
    if (publish.topic.length > 0) {
      if (connections.aliasMessage[index] >= 0) pool.release(connections.aliasMessage[index]);
      connections.aliasMessage[index] = pool.allocate(publish.topic, this.empty, this.empty, 0, false, false, 0);
      if (connections.aliasMessage[index] < 0) this.counters[COUNTER_DROP_POOL_FULL]++; // the next use of the alias fails
      return 0;
    }
    const message = connections.aliasMessage[index];
    if (message < 0) return 0x82; // an alias never set: Protocol Error
    pool.read(message, 0, pool.topicLength[message], this.aliasTopic, 0);
    publish.topic.set(this.aliasTopic, 0, pool.topicLength[message]);
    return 0;
  }

  /** Drops every alias of `slot`, both directions (at close). */
  release(slot: i32): void {
    const connections = this.connections;
    const base = slot * connections.aliasCount;
    for (let i = base; i < base + connections.aliasCount; i++) {
      if (connections.aliasMessage[i] >= 0) this.pool.release(connections.aliasMessage[i]);
      if (connections.aliasOutMessage[i] >= 0) this.pool.release(connections.aliasOutMessage[i]);
      connections.aliasMessage[i] = -1;
      connections.aliasOutMessage[i] = -1;
    }
  }

  /**
   * The alias to send `message` to `slot` with: > 0 an alias the client already knows (send an
   * empty topic), < 0 the negated alias to set now (send the topic; then `outboundSet`), 0 none.
   */
  outbound(slot: i32, message: i32): i32 {
    const connections = this.connections;
    const allowed = connections.clientAliasMax[slot] < connections.aliasCount ? connections.clientAliasMax[slot] : connections.aliasCount;
    if (allowed == 0) return 0;
    const base = slot * connections.aliasCount;
    for (let i = 0; i < allowed; i++) {
      const held = connections.aliasOutMessage[base + i];
      if (held >= 0 && this.sameTopic(held, message)) return i + 1;
    }
    return -(connections.aliasOutNext[slot] % allowed + 1);
  }

  /**
   * Records that alias `alias` now stands for `message`'s topic on `slot`: a topic-only copy,
   * so the alias never holds a payload's chunks for the life of the connection. When the pool
   * cannot hold even that, the alias is left unset and is simply set again on its next use.
   */
  outboundSet(slot: i32, alias: i32, message: i32): void {
    const connections = this.connections;
    const pool = this.pool;
    const index = slot * connections.aliasCount + alias - 1;
    if (connections.aliasOutMessage[index] >= 0) pool.release(connections.aliasOutMessage[index]);
    const length = pool.topicLength[message];
    pool.read(message, 0, length, this.aliasTopic, 0);
    this.view.set(this.aliasTopic, 0, length);
    connections.aliasOutMessage[index] = pool.allocate(this.view, this.empty, this.empty, 0, false, false, 0);
    connections.aliasOutNext[slot] = alias; // the next new topic takes the following alias
  }

  private sameTopic(a: i32, b: i32): bool {
    const pool = this.pool;
    const length = pool.topicLength[a];
    if (pool.topicLength[b] != length) return false;
    this.view.set(this.aliasTopic, 0, length);
    pool.read(a, 0, length, this.aliasTopic, 0);
    return pool.topicEquals(b, this.view, this.compare);
  }
}
