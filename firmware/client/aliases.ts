/**
 * MQTT 5 topic aliases on the client's side of one connection (MQTT 5 §3.3.2.3.4): the server's
 * (inbound, up to the Topic Alias Maximum we announce) and ours (outbound, up to the one the
 * server announced). Each alias holds a copy of its topic, at most `topicSizeMax` bytes. Both
 * tables are forgotten when the connection ends (MQTT-3.3.2-7).
 */
import { Span } from "../core/bytes";

export class AliasTable {
  readonly topicSizeMax: i32;
  readonly topics: Uint8Array;
  /** Topic length per alias (index = alias - 1), or -1 while unset. */
  readonly lengths: Int32Array;
  /** Aliases usable on this connection (the outbound side: the server's maximum, capped). */
  limit: i32 = 0;

  constructor(count: i32, topicSizeMax: i32) {
    this.topicSizeMax = topicSizeMax;
    this.topics = new Uint8Array(count * topicSizeMax);
    this.lengths = new Int32Array(count);
    this.reset(0);
  }

  get capacity(): i32 {
    return this.lengths.length;
  }

  /** Unsets every alias and allows `limit` of them (at most the capacity). */
  reset(limit: i32): void {
    for (let i = 0; i < this.lengths.length; i++) this.lengths[i] = -1;
    this.limit = limit < this.lengths.length ? limit : this.lengths.length;
  }

  /** Sets `alias` to `topic`. False when the topic is longer than a slot. */
  set(alias: i32, topic: Span): bool {
    if (topic.length > this.topicSizeMax) return false;
    bytesCopy(this.topics, (alias - 1) * this.topicSizeMax, topic.buffer, topic.offset, topic.length);
    this.lengths[alias - 1] = topic.length;
    return true;
  }

  /** Points `target` at the topic of `alias`. False when the alias is unset. */
  get(alias: i32, target: Span): bool {
    const length = this.lengths[alias - 1];
    if (length < 0) return false;
    target.set(this.topics, (alias - 1) * this.topicSizeMax, length);
    return true;
  }

  /** The alias already holding `topic`, or 0. */
  find(topic: Span): i32 {
    for (let i = 0; i < this.limit; i++) {
      if (this.lengths[i] != topic.length) continue;
      const base = i * this.topicSizeMax;
      let same = true;
      for (let j = 0; j < topic.length && same; j++) {
        const byte: i32 = this.topics[base + j];
        same = byte == topic.at(j);
      }
      if (same) return i + 1;
    }
    return 0;
  }

  /** An unset alias within the limit, or 0. */
  free(): i32 {
    for (let i = 0; i < this.limit; i++) if (this.lengths[i] < 0) return i + 1;
    return 0;
  }
}
