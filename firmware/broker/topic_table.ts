/**
 * The static topic table: every subscription of every session, in fixed slots sized once.
 *
 * A slot holds the owning session, the topic filter's bytes (at most `filterSizeMax`), and the
 * subscription options (MQTT 5 §3.8.3.1) with its Subscription Identifier. Matching a PUBLISH
 * walks the slots in use; the walk is bounded by the table's size. A session subscribing again
 * to the same filter replaces its slot's options (MQTT-3.8.4-3). When the table is full, or a
 * filter is longer than a slot, `subscribe` says so and the SUBACK carries the failure.
 *
 * The slots in use are also kept packed at the front of `inUse` (with each slot's place in
 * `placeOf`), so matching and lookups cost the subscriptions that exist, not the table's size,
 * and a free slot is found in constant time at the end of the same array.
 */
import { Span } from "../core/bytes";
import { topicMatches } from "../codec/topic";

/** `subscribe` result: no free slot (SUBACK 0x97 Quota exceeded in 5.0, 0x80 before). */
export const TABLE_FULL: i32 = -1;
/** `subscribe` result: the filter is longer than a slot holds (SUBACK 0x97 / 0x80). */
export const FILTER_TOO_LONG: i32 = -2;

export class TopicTable {
  readonly filterSizeMax: i32;
  /** Owning session, or -1 for a free slot. */
  readonly session: Int32Array;
  readonly filterLength: Int32Array;
  readonly filters: Uint8Array;
  readonly qos: Uint8Array;
  readonly noLocal: Uint8Array;
  readonly retainAsPublished: Uint8Array;
  readonly retainHandling: Uint8Array;
  /** MQTT 5 Subscription Identifier, 0 for none. */
  readonly subscriptionId: Int32Array;
  /** The subscription's store record while its session is durable (durable.ts), or -1. */
  readonly record: Int32Array;
  /** Whether the last `subscribe` replaced an existing subscription (Retain Handling 1). */
  existed: bool = false;
  /** Slots in use, and the most ever. */
  used: i32 = 0;
  usedPeak: i32 = 0;
  /** Slots: the first `used` are in use, the rest free. */
  readonly inUse: Int32Array;
  /** Index of each slot in `inUse`. */
  private readonly placeOf: Int32Array;
  /** A span over one slot's filter, reused by `filterOf`. */
  private readonly view: Span = new Span();

  constructor(slotCount: i32, filterSizeMax: i32) {
    this.filterSizeMax = filterSizeMax;
    this.session = new Int32Array(slotCount);
    this.filterLength = new Int32Array(slotCount);
    this.filters = new Uint8Array(slotCount * filterSizeMax);
    this.qos = new Uint8Array(slotCount);
    this.noLocal = new Uint8Array(slotCount);
    this.retainAsPublished = new Uint8Array(slotCount);
    this.retainHandling = new Uint8Array(slotCount);
    this.subscriptionId = new Int32Array(slotCount);
    this.record = new Int32Array(slotCount);
    this.inUse = new Int32Array(slotCount);
    this.placeOf = new Int32Array(slotCount);
    this.session.fill(-1);
    for (let slot = 0; slot < slotCount; slot++) {
      this.inUse[slot] = slot;
      this.placeOf[slot] = slot;
    }
  }

  get slotCount(): i32 {
    return this.session.length;
  }

  /** The filter of `slot`, as a span into the table (valid until the slot changes). */
  filterOf(slot: i32): Span {
    this.view.set(this.filters, slot * this.filterSizeMax, this.filterLength[slot]);
    return this.view;
  }

  /** The slot where `session` subscribes to `filter`, or -1. */
  find(session: i32, filter: Span): i32 {
    for (let place = 0; place < this.used; place++) {
      const slot = this.inUse[place];
      if (this.session[slot] != session || this.filterLength[slot] != filter.length) continue;
      const base = slot * this.filterSizeMax;
      let same = true;
      for (let i = 0; i < filter.length && same; i++) same = this.filters[base + i] == filter.at(i);
      if (same) return slot;
    }
    return -1;
  }

  /**
   * Adds or replaces `session`'s subscription to `filter`. Returns the slot, TABLE_FULL or
   * FILTER_TOO_LONG; `existed` then tells whether it replaced one.
   */
  subscribe(session: i32, filter: Span): i32 {
    if (filter.length > this.filterSizeMax) return FILTER_TOO_LONG;
    let slot = this.find(session, filter);
    this.existed = slot >= 0;
    if (slot < 0) {
      if (this.used == this.session.length) return TABLE_FULL;
      slot = this.inUse[this.used]; // the first free slot
      this.session[slot] = session;
      this.record[slot] = -1;
      this.filterLength[slot] = filter.length;
      bytesCopy(this.filters, slot * this.filterSizeMax, filter.buffer, filter.offset, filter.length);
      this.used++;
      if (this.used > this.usedPeak) this.usedPeak = this.used;
    }
    return slot;
  }


  /** Removes every subscription of `session` (clean start, session end). */
  removeSession(session: i32): void {
    let place = 0;
    while (place < this.used) {
      const slot = this.inUse[place];
      if (this.session[slot] == session) this.free(slot); // the last slot in use moves here: look again
      else place++;
    }
  }

  /**
   * The first place at or after `from` in `inUse` whose slot's filter matches topic `name`, or
   * -1. Walk with `place = nextMatch(name, place + 1)`; the slot is `inUse[place]`. The walk
   * must not subscribe or unsubscribe in between.
   */
  nextMatch(name: Span, from: i32): i32 {
    for (let place = from; place < this.used; place++) {
      if (topicMatches(this.filterOf(this.inUse[place]), name)) return place;
    }
    return -1;
  }

  /** Sets the subscription options (MQTT 5 §3.8.3.1) and Subscription Identifier of `slot`. */
  optionsSet(slot: i32, qos: i32, noLocal: i32, retainAsPublished: i32, retainHandling: i32, subscriptionId: i32): void {
    this.qos[slot] = qos;
    this.noLocal[slot] = noLocal;
    this.retainAsPublished[slot] = retainAsPublished;
    this.retainHandling[slot] = retainHandling;
    this.subscriptionId[slot] = subscriptionId;
  }

  /** Frees `slot` by moving the last slot in use into its place. */
  free(slot: i32): void {
    this.session[slot] = -1;
    this.filterLength[slot] = 0;
    const place = this.placeOf[slot];
    const last = this.used - 1;
    const moved = this.inUse[last];
    this.inUse[place] = moved;
    this.placeOf[moved] = place;
    this.inUse[last] = slot;
    this.placeOf[slot] = last;
    this.used = last;
  }
}
