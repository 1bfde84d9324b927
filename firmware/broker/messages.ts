/**
 * The broker's message pool: every application message the broker holds — retained, queued
 * for an offline session, or in flight to a subscriber — lives here once, however many
 * sessions it is bound for, and is freed when the last reference goes.
 *
 * Bytes live in chunk chains (core/chunks.ts, MESSAGE_CHUNK_SIZE bytes a chunk), so any mix of
 * message sizes fits without fragmentation, and a message costs only the chunks it needs.
 * A message's bytes are its topic, then its forwarded MQTT 5 properties (wire format, without
 * the Topic Alias, Message Expiry and Subscription Identifiers, which differ per delivery —
 * MQTT 5 §3.3.4), then its payload. Both tables are sized once by the constructor.
 *
 * Limits: `allocate` returns -1 when no message slot or not enough chunks are free; the caller
 * applies its policy (refuse with a reason code, or drop and count).
 */
import { Span } from "../core/bytes";
import { Chunks } from "../core/chunks";
import { Clock } from "../core/time";

/** Bytes per chunk: small enough that a short sensor reading wastes little, large enough that chains stay short. */
export const MESSAGE_CHUNK_SIZE: i32 = 128;

export class MessagePool {
  readonly chunks: Chunks;

  /** Per message slot: references held (0 = free), first chunk, and the three lengths. */
  readonly references: Int32Array;
  readonly firstChunk: Int32Array;
  readonly topicLength: Int32Array;
  readonly propertiesLength: Int32Array;
  readonly payloadLength: Int32Array;
  /** QoS as published, and the retain flag, per message. */
  readonly qos: Uint8Array;
  readonly retain: Uint8Array;
  /**
   * Whether the message has an MQTT 5 Message Expiry Interval, the interval (seconds, a u32 held
   * in an i32), and the moment it started (`Clock` seconds and ms).
   */
  readonly expiryOn: Uint8Array;
  readonly expirySeconds: Int32Array;
  readonly receivedAtSeconds: Int32Array;
  readonly receivedAtMs: Int32Array;
  readonly clock: Clock;
  /**
   * With the flash store on (durable.ts): the message's store record or -1, the key its
   * deliveries' records name it by (0 = none yet), and the durable references to it (delivery
   * records, and 1 while it is the retained message of its topic).
   */
  readonly record: Int32Array;
  readonly key: Int32Array;
  readonly durable: Int32Array;
  /** Free message slots, a stack. */
  readonly freeSlots: Int32Array;
  freeSlotCount: i32 = 0;
  /** Most slots and chunks ever in use, for $SYS. */
  slotsUsedPeak: i32 = 0;
  chunksUsedPeak: i32 = 0;

  constructor(messageCountMax: i32, chunkCount: i32, clock: Clock) {
    this.clock = clock;
    this.chunks = new Chunks(chunkCount, MESSAGE_CHUNK_SIZE);
    this.references = new Int32Array(messageCountMax);
    this.firstChunk = new Int32Array(messageCountMax);
    this.topicLength = new Int32Array(messageCountMax);
    this.propertiesLength = new Int32Array(messageCountMax);
    this.payloadLength = new Int32Array(messageCountMax);
    this.qos = new Uint8Array(messageCountMax);
    this.retain = new Uint8Array(messageCountMax);
    this.expiryOn = new Uint8Array(messageCountMax);
    this.expirySeconds = new Int32Array(messageCountMax);
    this.receivedAtSeconds = new Int32Array(messageCountMax);
    this.receivedAtMs = new Int32Array(messageCountMax);
    this.record = new Int32Array(messageCountMax);
    this.key = new Int32Array(messageCountMax);
    this.durable = new Int32Array(messageCountMax);
    this.freeSlots = new Int32Array(messageCountMax);
    for (let i = 0; i < messageCountMax; i++) this.freeSlots[i] = messageCountMax - 1 - i;
    this.freeSlotCount = messageCountMax;
  }

  get slotCount(): i32 {
    return this.references.length;
  }

  get chunkCount(): i32 {
    return this.chunks.count;
  }

  get chunkFreeCount(): i32 {
    return this.chunks.freeCount;
  }

  /**
   * Stores a message with one reference, received now (its Message Expiry, when `expiryOn`,
   * counts from here). Returns its slot, or -1 when the pool cannot hold it (no free slot, or
   * fewer free chunks than its bytes need).
   */
  allocate(topic: Span, properties: Span, payload: Span, qos: i32, retain: bool, expiryOn: bool, expirySeconds: i32): i32 {
    const total = topic.length + properties.length + payload.length;
    const chunks = this.chunks.needed(total);
    if (this.freeSlotCount == 0 || chunks > this.chunks.freeCount) return -1;
    this.freeSlotCount--;
    const slot = this.freeSlots[this.freeSlotCount];
    this.references[slot] = 1;
    this.topicLength[slot] = topic.length;
    this.propertiesLength[slot] = properties.length;
    this.payloadLength[slot] = payload.length;
    this.qos[slot] = qos;
    this.retain[slot] = retain ? 1 : 0;
    this.expiryOn[slot] = expiryOn ? 1 : 0;
    this.expirySeconds[slot] = expirySeconds;
    this.receivedAtSeconds[slot] = this.clock.seconds;
    this.receivedAtMs[slot] = this.clock.nowMs;
    this.record[slot] = -1;
    this.key[slot] = 0;
    this.durable[slot] = 0;
    const first = this.chunks.take(chunks);
    this.firstChunk[slot] = first;
    this.chunks.write(first, 0, topic.buffer, topic.offset, topic.length);
    this.chunks.write(first, topic.length, properties.buffer, properties.offset, properties.length);
    this.chunks.write(first, topic.length + properties.length, payload.buffer, payload.offset, payload.length);
    const slotsUsed = this.slotCount - this.freeSlotCount;
    if (slotsUsed > this.slotsUsedPeak) this.slotsUsedPeak = slotsUsed;
    const chunksUsed = this.chunks.count - this.chunks.freeCount;
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
    assert(this.durable[slot] == 0, "MessagePool.release: durable references left");
    this.chunks.release(this.firstChunk[slot]);
    this.freeSlots[this.freeSlotCount] = slot;
    this.freeSlotCount++;
  }

  /** Copies `length` bytes from byte `at` of message `slot` to `target[offset ..)`. */
  read(slot: i32, at: i32, length: i32, target: Uint8Array, offset: i32): void {
    this.chunks.read(this.firstChunk[slot], at, length, target, offset);
  }

  /** True when message `slot`'s topic equals `topic`. */
  topicEquals(slot: i32, topic: Span, scratch: Uint8Array): bool {
    if (this.topicLength[slot] != topic.length) return false;
    this.read(slot, 0, topic.length, scratch, 0);
    for (let i = 0; i < topic.length; i++) if (scratch[i] != topic.at(i)) return false;
    return true;
  }
}
