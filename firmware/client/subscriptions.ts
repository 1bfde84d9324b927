/**
 * The client's subscriptions: what it asked for, so that it can say what it has, subscribe again
 * when the server has lost its session, and match SUBACKs to requests. Fixed table of
 * `clientSubscriptionCountMax` filters of at most `filterSizeMax` bytes each.
 *
 *   WANTED -> SENT --SUBACK ok--> ACTIVE --unsubscribe--> UNWANTED -> UNSENT --UNSUBACK--> FREE
 *                  --SUBACK refusal--> FREE
 * A lost session sends every ACTIVE or SENT entry back to WANTED; an UNWANTED one is just freed.
 */
import { Span } from "../core/bytes";

export const SUB_FREE: i32 = 0;
export const SUB_WANTED: i32 = 1;
export const SUB_SENT: i32 = 2;
export const SUB_ACTIVE: i32 = 3;
export const SUB_UNWANTED: i32 = 4;
export const SUB_UNSENT: i32 = 5;

export class ClientSubscriptions {
  readonly filterSizeMax: i32;
  readonly filters: Uint8Array;
  readonly filterLength: Int32Array;
  readonly state: Uint8Array;
  /** Subscription options byte (MQTT 5 §3.8.3.1): QoS, No Local, Retain As Published, Retain Handling. */
  readonly options: Uint8Array;
  readonly packetId: Int32Array;
  readonly handle: Int32Array;

  constructor(count: i32, filterSizeMax: i32) {
    this.filterSizeMax = filterSizeMax;
    this.filters = new Uint8Array(count * filterSizeMax);
    this.filterLength = new Int32Array(count);
    this.state = new Uint8Array(count);
    this.options = new Uint8Array(count);
    this.packetId = new Int32Array(count);
    this.handle = new Int32Array(count);
  }

  get capacity(): i32 {
    return this.state.length;
  }

  /** The entry holding `filter`, or -1. */
  find(filter: Span): i32 {
    for (let i = 0; i < this.state.length; i++) {
      if (this.state[i] == SUB_FREE || this.filterLength[i] != filter.length) continue;
      const base = i * this.filterSizeMax;
      let same = true;
      for (let j = 0; j < filter.length && same; j++) {
        const byte: i32 = this.filters[base + j];
        same = byte == filter.at(j);
      }
      if (same) return i;
    }
    return -1;
  }

  /** A free entry holding `filter`, or -1 when the table is full. The caller checked its length. */
  add(filter: Span): i32 {
    for (let i = 0; i < this.state.length; i++) {
      if (this.state[i] != SUB_FREE) continue;
      bytesCopy(this.filters, i * this.filterSizeMax, filter.buffer, filter.offset, filter.length);
      this.filterLength[i] = filter.length;
      this.packetId[i] = 0;
      return i;
    }
    return -1;
  }

  /** Points `target` at the filter of entry `index`. */
  filterOf(index: i32, target: Span): void {
    target.set(this.filters, index * this.filterSizeMax, this.filterLength[index]);
  }

  /** The entry awaiting an ack for `packetId` in `state`, or -1. */
  findSent(packetId: i32, state: i32): i32 {
    for (let i = 0; i < this.state.length; i++) {
      if (this.state[i] == state && this.packetId[i] == packetId) return i;
    }
    return -1;
  }

  usesPacketId(packetId: i32): bool {
    return this.findSent(packetId, SUB_SENT) >= 0 || this.findSent(packetId, SUB_UNSENT) >= 0;
  }

  /** The first entry with a request to send (WANTED or UNWANTED), or -1. */
  nextRequest(): i32 {
    for (let i = 0; i < this.state.length; i++) {
      const state: i32 = this.state[i];
      if (state == SUB_WANTED || state == SUB_UNWANTED) return i;
    }
    return -1;
  }
}
