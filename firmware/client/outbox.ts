/**
 * The client's outbox: every message it has yet to finish sending, in publish order — the
 * offline queue and the in-flight window are one ring. Bodies live in the Store; the ring holds
 * small per-message state.
 *
 *   head ... [sent / released / finished holes] ... sendCursor ... [queued] ... head+count
 *
 * Entries before `sendCursor` have been sent on this session (or finished); entries from it on
 * wait their turn. Messages finish out of order (a QoS 1 ack may overtake an earlier QoS 2
 * flow), leaving FREE holes that the head skips and `compact` squeezes out when the ring fills.
 *
 * Record body (what `recordWrite` lays out and `recordParse` reads back):
 *   [flags: qos | retain << 2][topic length u16][topic][MQTT 5 property list, wire form with its
 *   length first (a single 0 when empty)][payload]
 */
import { Clock } from "../core/time";
import { Span } from "../core/bytes";

export const ENTRY_FREE: i32 = 0;
export const ENTRY_QUEUED: i32 = 1;
export const ENTRY_SENT: i32 = 2;
export const ENTRY_RELEASED: i32 = 3;

const FLAG_RETAIN: i32 = 4;

export class Outbox {
  readonly capacity: i32;
  head: i32 = 0;
  /** Ring positions in use from `head`, holes included. */
  count: i32 = 0;
  /** Offset from `head` of the first entry not yet sent on this session. */
  sendCursor: i32 = 0;
  /** Offset from `head` of the next entry to send again after a resumed session, or -1. */
  resendCursor: i32 = -1;
  /** Entries sent and not yet finished (SENT or RELEASED). */
  inflight: i32 = 0;
  /** Entries not FREE. */
  live: i32 = 0;

  readonly state: Uint8Array;
  readonly qos: Uint8Array;
  readonly record: Int32Array;
  readonly handle: Int32Array;
  readonly packetId: Int32Array;
  readonly topicHash: Int32Array;
  /** When each entry was queued (`Clock` seconds and ms): its Message Expiry counts from there. */
  readonly queuedAtSeconds: Int32Array;
  readonly queuedAtMs: Int32Array;
  private readonly clock: Clock;

  constructor(capacity: i32, clock: Clock) {
    this.capacity = capacity;
    this.clock = clock;
    this.state = new Uint8Array(capacity);
    this.qos = new Uint8Array(capacity);
    this.record = new Int32Array(capacity);
    this.handle = new Int32Array(capacity);
    this.packetId = new Int32Array(capacity);
    this.topicHash = new Int32Array(capacity);
    this.queuedAtSeconds = new Int32Array(capacity);
    this.queuedAtMs = new Int32Array(capacity);
  }

  /** Whole seconds since entry `index` was queued. */
  queuedSeconds(index: i32): i32 {
    return this.clock.elapsedSeconds(this.queuedAtSeconds[index], this.queuedAtMs[index]);
  }

  /** Ring index of the entry `offset` places after the head. */
  at(offset: i32): i32 {
    const index = this.head + offset;
    return index >= this.capacity ? index - this.capacity : index;
  }

  /** Adds a queued entry at the tail, queued now. Returns its ring index, or -1 when every slot is live. */
  add(record: i32, handle: i32, qos: i32, topicHash: i32): i32 {
    if (this.count == this.capacity) this.compact();
    if (this.count == this.capacity) return -1;
    const index = this.at(this.count);
    this.count++;
    this.live++;
    this.state[index] = ENTRY_QUEUED;
    this.qos[index] = qos;
    this.record[index] = record;
    this.handle[index] = handle;
    this.packetId[index] = 0;
    this.topicHash[index] = topicHash;
    this.queuedAtSeconds[index] = this.clock.seconds;
    this.queuedAtMs[index] = this.clock.nowMs;
    return index;
  }

  /** Marks the entry at ring index `index` finished and trims finished entries off the head. */
  finish(index: i32): void {
    this.release(index);
    this.trim();
  }

  /** Marks the entry at ring index `index` finished, leaving a hole (offsets stay valid). */
  release(index: i32): void {
    const state: i32 = this.state[index];
    if (state == ENTRY_FREE) return;
    if (state == ENTRY_SENT || state == ENTRY_RELEASED) this.inflight--;
    this.state[index] = ENTRY_FREE;
    this.live--;
  }

  /** Moves the head past finished entries. */
  trim(): void {
    while (this.count > 0 && this.state[this.head] == ENTRY_FREE) {
      this.head = this.head + 1 == this.capacity ? 0 : this.head + 1;
      this.count--;
      if (this.sendCursor > 0) this.sendCursor--;
      if (this.resendCursor > 0) this.resendCursor--;
    }
  }

  /** Ring index of the in-flight entry with `packetId` in `state`, or -1. */
  findSent(packetId: i32, state: i32): i32 {
    for (let offset = 0; offset < this.sendCursor; offset++) {
      const index = this.at(offset);
      if (this.packetId[index] == packetId && this.state[index] == state) return index;
    }
    return -1;
  }

  usesPacketId(packetId: i32): bool {
    for (let offset = 0; offset < this.sendCursor; offset++) {
      const index = this.at(offset);
      const state: i32 = this.state[index];
      if ((state == ENTRY_SENT || state == ENTRY_RELEASED) && this.packetId[index] == packetId) return true;
    }
    return false;
  }

  /** Ring index of the oldest entry not yet sent, or -1. */
  oldestQueued(): i32 {
    for (let offset = this.sendCursor; offset < this.count; offset++) {
      const index = this.at(offset);
      if (this.state[index] == ENTRY_QUEUED) return index;
    }
    return -1;
  }

  /** Squeezes FREE holes out of the ring, keeping order and both cursors' meaning. */
  compact(): void {
    let kept: i32 = 0;
    let sendCursor: i32 = -1;
    let resendCursor: i32 = -1;
    for (let offset = 0; offset < this.count; offset++) {
      if (offset == this.sendCursor) sendCursor = kept;
      if (offset == this.resendCursor) resendCursor = kept;
      const from = this.at(offset);
      if (this.state[from] == ENTRY_FREE) continue;
      const to = this.at(kept);
      if (to != from) {
        this.state[to] = this.state[from];
        this.qos[to] = this.qos[from];
        this.record[to] = this.record[from];
        this.handle[to] = this.handle[from];
        this.packetId[to] = this.packetId[from];
        this.topicHash[to] = this.topicHash[from];
        this.queuedAtSeconds[to] = this.queuedAtSeconds[from];
        this.queuedAtMs[to] = this.queuedAtMs[from];
        this.state[from] = ENTRY_FREE;
      }
      kept++;
    }
    this.sendCursor = sendCursor < 0 ? kept : sendCursor;
    if (this.resendCursor >= 0) this.resendCursor = resendCursor < 0 ? kept : resendCursor;
    this.count = kept;
  }

}

/** FNV-1a over the topic's bytes: a cheap first test for "same topic". */
export function topicHash(topic: Span): i32 {
  let hash: i32 = 0x811c9dc5;
  for (let i = 0; i < topic.length; i++) {
    hash ^= topic.at(i);
    hash = (hash * 16777619) | 0;
  }
  return hash;
}

/** Bytes `recordWrite` needs. */
export function recordLength(topic: Span, properties: Span, payload: Span): i32 {
  return 3 + topic.length + (properties.length > 0 ? properties.length : 1) + payload.length;
}

/** Lays out a message's record body at `target[0 ..)`. `properties` is a wire-form list (or empty). */
export function recordWrite(target: Uint8Array, topic: Span, properties: Span, payload: Span, qos: i32, retain: bool): i32 {
  target[0] = qos | (retain ? FLAG_RETAIN : 0);
  target[1] = topic.length >> 8;
  target[2] = topic.length;
  let position = 3;
  bytesCopy(target, position, topic.buffer, topic.offset, topic.length);
  position += topic.length;
  if (properties.length == 0) {
    target[position] = 0; // an empty property list: its length alone
    position++;
  } else {
    bytesCopy(target, position, properties.buffer, properties.offset, properties.length);
    position += properties.length;
  }
  bytesCopy(target, position, payload.buffer, payload.offset, payload.length);
  return position + payload.length;
}

/** What `recordParse` found: spans into the buffer it was given. */
export class RecordView {
  qos: i32 = 0;
  retain: bool = false;
  readonly topic: Span = new Span();
  /** Start of the property list (its varint length first); the payload follows the list. */
  propertiesOffset: i32 = 0;
  end: i32 = 0;
}

/** Reads the fixed part of a record body at `source[0 .. length)`. */
export function recordParse(source: Uint8Array, length: i32, view: RecordView): void {
  const flags: i32 = source[0];
  const high: i32 = source[1];
  const low: i32 = source[2];
  const topicLength = (high << 8) | low;
  view.qos = flags & 3;
  view.retain = (flags & FLAG_RETAIN) != 0;
  view.topic.set(source, 3, topicLength);
  view.propertiesOffset = 3 + topicLength;
  view.end = length;
}
