/**
 * The broker's message pool: every application message the broker holds — retained, queued
 * for an offline session, or in flight to a subscriber — lives here once, however many
 * sessions it is bound for, and is freed when the last reference goes.
 *
 * Bytes live in fixed-size chunks (MESSAGE_CHUNK_SIZE) chained by `chunkNext`, so any mix of
 * message sizes fits without fragmentation, and a message costs only the chunks it needs.
 * A message's bytes are its topic, then its forwarded MQTT 5 properties (wire format, without
 * the Topic Alias, Message Expiry and Subscription Identifiers, which differ per delivery —
 * MQTT 5 §3.3.4), then its payload. Both tables are sized once by the constructor.
 *
 * Limits: `allocate` returns -1 when no message slot or not enough chunks are free; the caller
 * applies its policy (refuse with a reason code, or drop and count).
 */
import { Span } from "../core/bytes";

/** Bytes per chunk: small enough that a short sensor reading wastes little, large enough that chains stay short. */
export const MESSAGE_CHUNK_SIZE: i32 = 128;

export class MessagePool {
  readonly data: Uint8Array;
  /** Next chunk of a chain, or -1 at its end; the free chunks form a chain of their own. */
  readonly chunkNext: Int32Array;
  chunkFree: i32 = -1;
  chunkFreeCount: i32 = 0;

  /** Per message slot: references held (0 = free), first chunk, and the three lengths. */
  readonly references: Int32Array;
  readonly firstChunk: Int32Array;
  readonly topicLength: Int32Array;
  readonly propertiesLength: Int32Array;
  readonly payloadLength: Int32Array;
  /** QoS as published, and the retain flag, per message. */
  readonly qos: Uint8Array;
  readonly retain: Uint8Array;
  /** MQTT 5 Message Expiry Interval in seconds, or -1 for none; and when it started, in ms. */
  readonly expirySeconds: Int32Array;
  readonly receivedAtMs: Int32Array;
  /** Free message slots, a stack. */
  readonly freeSlots: Int32Array;
  freeSlotCount: i32 = 0;
  /** Most slots and chunks ever in use, for $SYS. */
  slotsUsedPeak: i32 = 0;
  chunksUsedPeak: i32 = 0;

  constructor(messageCountMax: i32, chunkCount: i32) {
    this.data = new Uint8Array(chunkCount * MESSAGE_CHUNK_SIZE);
    this.chunkNext = new Int32Array(chunkCount);
    this.references = new Int32Array(messageCountMax);
    this.firstChunk = new Int32Array(messageCountMax);
    this.topicLength = new Int32Array(messageCountMax);
    this.propertiesLength = new Int32Array(messageCountMax);
    this.payloadLength = new Int32Array(messageCountMax);
    this.qos = new Uint8Array(messageCountMax);
    this.retain = new Uint8Array(messageCountMax);
    this.expirySeconds = new Int32Array(messageCountMax);
    this.receivedAtMs = new Int32Array(messageCountMax);
    this.freeSlots = new Int32Array(messageCountMax);
    for (let i = 0; i < chunkCount; i++) this.chunkNext[i] = i + 1 < chunkCount ? i + 1 : -1;
    this.chunkFree = chunkCount > 0 ? 0 : -1;
    this.chunkFreeCount = chunkCount;
    for (let i = 0; i < messageCountMax; i++) this.freeSlots[i] = messageCountMax - 1 - i;
    this.freeSlotCount = messageCountMax;
  }

  get slotCount(): i32 {
    return this.references.length;
  }

  get chunkCount(): i32 {
    return this.chunkNext.length;
  }

  /**
   * Stores a message with one reference. Returns its slot, or -1 when the pool cannot hold it
   * (no free slot, or fewer free chunks than its bytes need).
   */
  allocate(topic: Span, properties: Span, payload: Span, qos: i32, retain: bool, expirySeconds: i32, nowMs: i32): i32 {
    const total = topic.length + properties.length + payload.length;
    const chunks = ((total + MESSAGE_CHUNK_SIZE - 1) / MESSAGE_CHUNK_SIZE) | 0;
    if (this.freeSlotCount == 0 || chunks > this.chunkFreeCount) return -1;
    this.freeSlotCount--;
    const slot = this.freeSlots[this.freeSlotCount];
    this.references[slot] = 1;
    this.topicLength[slot] = topic.length;
    this.propertiesLength[slot] = properties.length;
    this.payloadLength[slot] = payload.length;
    this.qos[slot] = qos;
    this.retain[slot] = retain ? 1 : 0;
    this.expirySeconds[slot] = expirySeconds;
    this.receivedAtMs[slot] = nowMs;
    // Take `chunks` chunks off the free chain; the message's chain is its first `chunks` links.
    this.firstChunk[slot] = chunks > 0 ? this.chunkFree : -1;
    let last = -1;
    for (let i = 0; i < chunks; i++) {
      last = this.chunkFree;
      this.chunkFree = this.chunkNext[last];
    }
    if (last >= 0) this.chunkNext[last] = -1;
    this.chunkFreeCount -= chunks;
    this.write(slot, 0, topic);
    this.write(slot, topic.length, properties);
    this.write(slot, topic.length + properties.length, payload);
    const slotsUsed = this.slotCount - this.freeSlotCount;
    if (slotsUsed > this.slotsUsedPeak) this.slotsUsedPeak = slotsUsed;
    const chunksUsed = this.chunkCount - this.chunkFreeCount;
    if (chunksUsed > this.chunksUsedPeak) this.chunksUsedPeak = chunksUsed;
    return slot;
  }

  retainReference(slot: i32): void {
    assert(this.references[slot] > 0, "MessagePool.retainReference: free slot");
    this.references[slot]++;
  }

  /** Drops one reference; the last one frees the slot and its chunks. */
  release(slot: i32): void {
    assert(this.references[slot] > 0, "MessagePool.release: free slot");
    this.references[slot]--;
    if (this.references[slot] > 0) return;
    let chunk = this.firstChunk[slot];
    while (chunk >= 0) {
      const next = this.chunkNext[chunk];
      this.chunkNext[chunk] = this.chunkFree;
      this.chunkFree = chunk;
      this.chunkFreeCount++;
      chunk = next;
    }
    this.freeSlots[this.freeSlotCount] = slot;
    this.freeSlotCount++;
  }

  /** Copies `source` into message `slot` starting at byte `at` of its chain. */
  private write(slot: i32, at: i32, source: Span): void {
    let chunk = this.chunkAt(slot, at);
    let within = at % MESSAGE_CHUNK_SIZE;
    let done: i32 = 0;
    while (done < source.length) {
      const room = MESSAGE_CHUNK_SIZE - within;
      const step = source.length - done < room ? source.length - done : room;
      bytesCopy(this.data, chunk * MESSAGE_CHUNK_SIZE + within, source.buffer, source.offset + done, step);
      done += step;
      within = 0;
      if (done < source.length) chunk = this.chunkNext[chunk];
    }
  }

  /** Copies `length` bytes from byte `at` of message `slot` to `target[offset ..)`. */
  read(slot: i32, at: i32, length: i32, target: Uint8Array, offset: i32): void {
    if (length == 0) return;
    let chunk = this.chunkAt(slot, at);
    let within = at % MESSAGE_CHUNK_SIZE;
    let done: i32 = 0;
    while (done < length) {
      const room = MESSAGE_CHUNK_SIZE - within;
      const step = length - done < room ? length - done : room;
      bytesCopy(target, offset + done, this.data, chunk * MESSAGE_CHUNK_SIZE + within, step);
      done += step;
      within = 0;
      if (done < length) chunk = this.chunkNext[chunk];
    }
  }

  /** The chunk holding byte `at` of message `slot`. */
  private chunkAt(slot: i32, at: i32): i32 {
    let chunk = this.firstChunk[slot];
    for (let skip = (at / MESSAGE_CHUNK_SIZE) | 0; skip > 0; skip--) chunk = this.chunkNext[chunk];
    return chunk;
  }

  /** True when message `slot`'s topic equals `topic`. */
  topicEquals(slot: i32, topic: Span, scratch: Uint8Array): bool {
    if (this.topicLength[slot] != topic.length) return false;
    this.read(slot, 0, topic.length, scratch, 0);
    for (let i = 0; i < topic.length; i++) if (scratch[i] != topic.at(i)) return false;
    return true;
  }
}
