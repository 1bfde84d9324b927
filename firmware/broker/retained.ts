/**
 * Retained messages (MQTT 5 §3.3.1.3): at most one per topic, each a reference into the
 * MessagePool. A retained PUBLISH with an empty payload removes the topic's message and is
 * not itself kept (MQTT-3.3.1-6, -7). When the table is full a new topic is not retained
 * and the drop is counted; replacing an existing topic always works. With the flash store on,
 * each retained message is also kept there (durable.ts), so it outlives a restart.
 */
import { Span } from "../core/bytes";
import { MessagePool } from "./messages";
import { Durable } from "./durable";

export class RetainedTable {
  /** Message slot per entry, or -1. */
  readonly message: Int32Array;
  used: i32 = 0;
  usedPeak: i32 = 0;
  /** New topics refused because the table was full. */
  dropped: i32 = 0;

  private readonly durable: Durable;

  constructor(count: i32, durable: Durable) {
    this.durable = durable;
    this.message = new Int32Array(count);
    this.message.fill(-1);
  }

  /** The entry whose message has topic `topic`, or -1. */
  find(pool: MessagePool, topic: Span, scratch: Uint8Array): i32 {
    for (let i = 0; i < this.message.length; i++) {
      const slot = this.message[i];
      if (slot >= 0 && pool.topicEquals(slot, topic, scratch)) return i;
    }
    return -1;
  }

  /**
   * Applies a retained PUBLISH already stored as `slot` (topic `topic`): keeps it, replacing
   * the topic's previous message, or — for an empty payload — only removes that message.
   */
  update(pool: MessagePool, slot: i32, topic: Span, scratch: Uint8Array): void {
    const entry = this.find(pool, topic, scratch);
    const keep = pool.payloadLength[slot] > 0;
    // The new message is made durable before the old one is let go: a cut between leaves both
    // on flash, and the restore keeps the later.
    if (keep) this.durable.retainedSet(slot);
    if (entry >= 0) {
      this.durable.retainedClear(this.message[entry]);
      pool.release(this.message[entry]);
      this.message[entry] = -1;
      this.used--;
    }
    if (!keep) return;
    for (let i = 0; i < this.message.length; i++) {
      if (this.message[i] >= 0) continue;
      pool.retainReference(slot);
      this.message[i] = slot;
      this.used++;
      if (this.used > this.usedPeak) this.usedPeak = this.used;
      return;
    }
    this.durable.retainedClear(slot);
    this.dropped++;
  }
}
