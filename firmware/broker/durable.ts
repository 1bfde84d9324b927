/**
 * The broker's durable state: what must outlive a restart, kept in the Store (with the flash
 * store, a power-safe log) next to the RAM tables it mirrors. Every write here happens inside
 * `Broker.input`, before the acknowledgement it guards is queued; the host sends nothing it did
 * not first make durable (a flash program is durable on return, a file flash syncs before the
 * host's next socket write), so a PUBACK or PUBREC means "on flash".
 *
 * What is kept, and only for persistent sessions (Session Expiry > 0, or 3.x clean session 0):
 *   RECORD_SESSION       slot u16 | expiry u32 | client id length u16 | user name length u16
 *                        (0xFFFF: anonymous) | client id | user name
 *                        (RECORD_SESSION_ANONYMOUS, from older stores: slot u16 | expiry u32 |
 *                        client id — restored as an anonymous session)
 *   RECORD_SUBSCRIPTION  slot u16 | qos u8 | no local u8 | retain as published u8 |
 *                        retain handling u8 | subscription id u32 | filter
 *   RECORD_MESSAGE       key u32 | qos u8 | flags u8 (1 retain, 2 expiry) | expiry u32 | topic length u16 |
 *                        properties length u16 | topic | properties | payload
 *                        state MESSAGE_RETAINED while it is its topic's retained message
 *   RECORD_DELIVERY      slot u16 | qos u8 | retain u8 | subscription id u32 | message key u32
 *                        state QUEUED, SENT (with its packet id) or RELEASED (PUBREC came)
 *   RECORD_INCOMING      slot u16 | message key u32; packet id; state INCOMING_PENDING/_ROUTED
 * Retained messages are kept whoever published them ($-topics excepted: $SYS is rebuilt).
 * QoS 0 deliveries, wills and clean sessions live in RAM only, as they would die with the
 * connection anyway. A message is written once, however many deliveries name it by its key, and
 * removed when the last of them (and its retained use) ends.
 *
 * Order on flash is what makes a cut at any byte safe:
 * - a message record precedes its deliveries; a delivery whose message is missing is dropped;
 * - a session record precedes its children's; a child whose session is missing is dropped, and
 *   ending a session removes the session record first;
 * - a QoS 2 PUBLISH from a persistent session writes its receipt as INCOMING_PENDING before the
 *   first durable delivery and marks it INCOMING_ROUTED after the last, before PUBREC. A
 *   receipt found PENDING at start-up means routing was cut short and nothing was acknowledged
 *   or sent: its message and deliveries are rolled back, so the sender's resend is routed once.
 *
 * Restoring these records at start-up is durable_restore.ts.
 *
 * Limits: when the store is full, a persistent session's delivery is dropped like one to a full
 * queue, and everything else stays in RAM; both are counted (COUNTER_STORE_FULL). At start-up,
 * records the tables cannot hold are counted (COUNTER_RESTORE_DROPPED) and removed.
 */
import { Writer } from "../core/bytes";
import {
  OUTGOING_QUEUED, OUTGOING_RELEASED, OUTGOING_SENT, RECORD_DELIVERY, RECORD_INCOMING, RECORD_MESSAGE, RECORD_SESSION,
  RECORD_SUBSCRIPTION, STORE_FULL, Store,
} from "../store/store";
import { MessagePool } from "./messages";
import { INFLIGHT_PUBLISHED, INFLIGHT_RELEASED, Sessions } from "./sessions";
import { TopicTable } from "./topic_table";
import { RetainedTable } from "./retained";
import { COUNTER_STORE_FAILED, COUNTER_STORE_FULL } from "./counters";
import { DurableRestore } from "./durable_restore";

/** State of a message record that is its topic's retained message. */
export const MESSAGE_RETAINED: i32 = 1;
/** States of a receipt record. */
export const INCOMING_PENDING: i32 = 0;
export const INCOMING_ROUTED: i32 = 1;
/** `deliveryAppend` answer: the store is full, drop the delivery. */
export const DELIVERY_REFUSED: i32 = -2;
/** A session record's user name length for an anonymous session. */
export const USERNAME_NONE: i32 = 0xffff;
/** Bits of a message record's flags byte. */
export const MESSAGE_FLAG_RETAIN: i32 = 1;
export const MESSAGE_FLAG_EXPIRY: i32 = 2;
/** Bytes before a message record's topic. */
const MESSAGE_HEADER_SIZE: i32 = 14;

export class Durable {
  /** False when the broker runs without a store: every call is then a no-op. */
  readonly on: bool;
  private readonly store: Store;
  private readonly pool: MessagePool;
  private readonly sessions: Sessions;
  private readonly topics: TopicTable;
  private readonly counters: Int32Array;
  /** A record's body as it is written; DurableRestore reads records into it at start-up. */
  readonly body: Uint8Array;
  /** The first byte of a message's topic, read to tell `$` topics; DurableRestore's topic comparisons. */
  readonly scratch: Uint8Array;
  private readonly writer: Writer = new Writer();
  /** Per session: the expiry its record holds. */
  readonly sessionExpiry: Int32Array;
  private keyNext: i32 = 1;
  /** The QoS 2 PUBLISH being routed for a persistent session: its session, packet id, message and receipt record. */
  private receiptSession: i32 = -1;
  private receiptPacketId: i32 = 0;
  private receiptMessage: i32 = -1;
  private receiptRecord: i32 = -1;
  /** Set last in the constructor (it needs `this`). */
  private restorer: DurableRestore | null = null;

  constructor(store: Store, on: bool, pool: MessagePool, sessions: Sessions, topics: TopicTable, counters: Int32Array, packetSizeMax: i32) {
    this.on = on;
    this.store = store;
    this.pool = pool;
    this.sessions = sessions;
    this.topics = topics;
    this.counters = counters;
    this.body = new Uint8Array(on ? packetSizeMax + MESSAGE_HEADER_SIZE : 0);
    this.scratch = new Uint8Array(on ? packetSizeMax : 0);
    this.sessionExpiry = new Int32Array(sessions.count);
    this.restorer = new DurableRestore(this, store, pool, sessions, topics, counters);
  }

  // ---- sessions and subscriptions -----------------------------------------------------------

  /**
   * Brings `session`'s record in line with its expiry: written when it became persistent (with
   * its subscriptions), rewritten when its expiry changed, and everything removed when it no
   * longer outlives its connection.
   */
  sessionSave(session: i32): void {
    if (!this.on) return;
    const sessions = this.sessions;
    const expiry = sessions.expirySeconds[session];
    const old = sessions.record[session];
    if (expiry == 0) {
      if (old >= 0) this.sessionForget(session);
      return;
    }
    if (old >= 0 && this.sessionExpiry[session] == expiry) return;
    const clientId = sessions.clientIdOf(session);
    const username = sessions.usernameOf(session);
    const writer = this.writer;
    writer.reset(this.body, 0);
    writer.u16(session);
    writer.u32(expiry);
    writer.u16(clientId.length);
    writer.u16(sessions.hasUsername(session) ? username.length : USERNAME_NONE);
    writer.bytes(clientId);
    writer.bytes(username);
    const record = this.append(RECORD_SESSION, 0, 0, writer.position);
    if (record < 0) return;
    if (old >= 0) this.failed(this.store.remove(old)); // the newer record wins if a cut comes first
    sessions.record[session] = record;
    this.sessionExpiry[session] = expiry;
    if (old >= 0) return;
    const topics = this.topics;
    for (let place = 0; place < topics.used; place++) {
      const slot = topics.inUse[place];
      if (topics.session[slot] == session) this.subscriptionSave(slot);
    }
  }

  /** Removes every record of `session` (it ends, or stops being persistent): the session's first. */
  sessionForget(session: i32): void {
    const sessions = this.sessions;
    if (!this.on || sessions.record[session] < 0) return;
    this.failed(this.store.remove(sessions.record[session]));
    sessions.record[session] = -1;
    const topics = this.topics;
    for (let place = 0; place < topics.used; place++) this.subscriptionForget(topics.inUse[place], session);
    const queueBase = session * sessions.queueCapacity;
    for (let i = 0; i < sessions.queueLength[session]; i++) {
      const index = queueBase + ((sessions.queueHead[session] + i) % sessions.queueCapacity);
      this.deliveryDone(sessions.queueRecord[index], sessions.queueMessage[index]);
      sessions.queueRecord[index] = -1;
    }
    const flightBase = session * sessions.inflightCapacity;
    for (let index = flightBase; index < flightBase + sessions.inflightCapacity; index++) {
      const state: i32 = sessions.inflightState[index];
      if (state == INFLIGHT_PUBLISHED) this.deliveryDone(sessions.inflightRecord[index], sessions.inflightMessage[index]);
      else if (state == INFLIGHT_RELEASED) this.deliveryDone(sessions.inflightRecord[index], -1);
      sessions.inflightRecord[index] = -1;
    }
    const incomingBase = session * sessions.incomingCapacity;
    for (let index = incomingBase; index < incomingBase + sessions.incomingCount[session]; index++) {
      this.incomingForget(index);
    }
  }

  /** Writes subscription `slot` (after SUBSCRIBE added or changed it), replacing its old record. */
  subscriptionSave(slot: i32): void {
    const topics = this.topics;
    const session = topics.session[slot];
    if (!this.on || this.sessions.record[session] < 0) return;
    const writer = this.writer;
    writer.reset(this.body, 0);
    writer.u16(session);
    writer.u8(topics.qos[slot]);
    writer.u8(topics.noLocal[slot]);
    writer.u8(topics.retainAsPublished[slot]);
    writer.u8(topics.retainHandling[slot]);
    writer.u32(topics.subscriptionId[slot]);
    writer.bytes(topics.filterOf(slot));
    const old = topics.record[slot];
    const record = this.append(RECORD_SUBSCRIPTION, 0, 0, writer.position);
    if (record < 0) return;
    if (old >= 0) this.failed(this.store.remove(old));
    topics.record[slot] = record;
  }

  /** Removes the record of subscription `slot` when it belongs to `session` (any session: -1). */
  subscriptionForget(slot: i32, session: i32): void {
    const topics = this.topics;
    if (topics.record[slot] < 0 || (session >= 0 && topics.session[slot] != session)) return;
    this.failed(this.store.remove(topics.record[slot]));
    topics.record[slot] = -1;
  }

  // ---- deliveries ---------------------------------------------------------------------------------

  /**
   * Writes a QoS 1/2 delivery of `message` to `session` (and the message, the first time).
   * Returns its record; -1 when it needs none (QoS 0, a session in RAM only); DELIVERY_REFUSED
   * when the store is full (counted): the caller drops the delivery.
   */
  deliveryAppend(session: i32, message: i32, qos: i32, retain: bool, subscriptionId: i32): i32 {
    if (!this.on || qos == 0 || this.sessions.record[session] < 0) return -1;
    this.receiptOpen(message);
    if (!this.messageSave(message, 0)) return DELIVERY_REFUSED;
    const writer = this.writer;
    writer.reset(this.body, 0);
    writer.u16(session);
    writer.u8(qos);
    writer.u8(retain ? 1 : 0);
    writer.u32(subscriptionId);
    writer.u32(this.pool.key[message]);
    const record = this.append(RECORD_DELIVERY, OUTGOING_QUEUED, 0, writer.position);
    if (record < 0) {
      this.messageRelease(message, 0); // removes a message record no one else holds
      return DELIVERY_REFUSED;
    }
    this.pool.durable[message]++;
    return record;
  }

  /** A delivery's PUBLISH is about to go out with `packetId`: resent with it after a restart (MQTT-4.4.0-1). */
  deliverySent(record: i32, packetId: i32): void {
    if (record >= 0) this.failed(this.store.update(record, OUTGOING_SENT, packetId));
  }

  /** PUBREC came: only the packet id is needed now, until PUBCOMP. */
  deliveryReleased(record: i32, packetId: i32, message: i32): void {
    if (record < 0) return;
    this.failed(this.store.update(record, OUTGOING_RELEASED, packetId));
    this.messageRelease(message, 1);
  }

  /** A delivery ended (acknowledged, dropped, or its session ended); `message` is -1 once released. */
  deliveryDone(record: i32, message: i32): void {
    if (record < 0) return;
    this.failed(this.store.remove(record));
    if (message >= 0) this.messageRelease(message, 1);
  }

  // ---- QoS 2 receipts -------------------------------------------------------------------------------

  /** A QoS 2 PUBLISH from `session` is about to be routed: its receipt is written around the routing. */
  receiptBegin(session: i32, packetId: i32, message: i32): void {
    if (!this.on || this.sessions.record[session] < 0) return;
    this.receiptSession = session;
    this.receiptPacketId = packetId;
    this.receiptMessage = message;
    this.receiptRecord = -1;
  }

  /**
   * Routing is done and the receipt is `sessions` entry `index`: it becomes ROUTED (or is written
   * so now, when no durable delivery opened it). With no entry (-1), a receipt written is removed.
   */
  receiptEnd(index: i32): void {
    const session = this.receiptSession;
    if (session < 0) return;
    this.receiptSession = -1;
    let record = this.receiptRecord;
    if (index < 0) {
      if (record >= 0) this.failed(this.store.remove(record));
      return;
    }
    if (record >= 0) {
      this.failed(this.store.update(record, INCOMING_ROUTED, this.receiptPacketId));
    } else {
      record = this.receiptWrite(session, 0, INCOMING_ROUTED);
    }
    this.sessions.incomingRecord[index] = record;
  }

  /** Removes the record of receipt `index` (PUBREL came, or the session ended). */
  incomingForget(index: i32): void {
    const record = this.sessions.incomingRecord[index];
    if (record < 0) return;
    this.failed(this.store.remove(record));
    this.sessions.incomingRecord[index] = -1;
  }

  /** Before the first durable write of a QoS 2 publish: the receipt, PENDING, naming the message. */
  private receiptOpen(message: i32): void {
    if (this.receiptSession < 0 || this.receiptRecord >= 0 || message != this.receiptMessage) return;
    this.receiptRecord = this.receiptWrite(this.receiptSession, this.keyOf(message), INCOMING_PENDING);
  }

  private receiptWrite(session: i32, key: i32, state: i32): i32 {
    const writer = this.writer;
    writer.reset(this.body, 0);
    writer.u16(session);
    writer.u32(key);
    return this.append(RECORD_INCOMING, state, this.receiptPacketId, writer.position);
  }

  // ---- retained messages --------------------------------------------------------------------------

  /** `message` became its topic's retained message ($-topics are not kept). */
  retainedSet(message: i32): void {
    if (!this.on || this.topicIsSystem(message)) return;
    this.receiptOpen(message);
    if (!this.messageSave(message, MESSAGE_RETAINED)) return;
    if (this.store.state(this.pool.record[message]) != MESSAGE_RETAINED) {
      this.failed(this.store.update(this.pool.record[message], MESSAGE_RETAINED, 0));
    }
    this.pool.durable[message]++;
  }

  /** `message` stopped being its topic's retained message. */
  retainedClear(message: i32): void {
    const record = this.pool.record[message];
    if (!this.on || record < 0 || this.store.state(record) != MESSAGE_RETAINED) return;
    if (this.pool.durable[message] > 1) this.failed(this.store.update(record, 0, 0));
    this.messageRelease(message, 1);
  }

  // ---- messages -----------------------------------------------------------------------------------

  private keyOf(message: i32): i32 {
    const pool = this.pool;
    if (pool.key[message] == 0) {
      pool.key[message] = this.keyNext;
      this.keyNext = this.keyNext == 0x7fffffff ? 1 : this.keyNext + 1;
    }
    return pool.key[message];
  }

  /** Makes sure `message` has a record (written with `state`). False when the store is full. */
  private messageSave(message: i32, state: i32): bool {
    const pool = this.pool;
    if (pool.record[message] >= 0) return true;
    const writer = this.writer;
    const topicLength = pool.topicLength[message];
    const propertiesLength = pool.propertiesLength[message];
    const length = topicLength + propertiesLength + pool.payloadLength[message];
    writer.reset(this.body, 0);
    writer.u32(this.keyOf(message));
    writer.u8(pool.qos[message]);
    const retainFlag: i32 = pool.retain[message];
    const expiryFlag: i32 = pool.expiryOn[message];
    writer.u8(retainFlag | (expiryFlag << 1));
    writer.u32(pool.expiryOn[message] != 0 ? pool.expirySeconds[message] : -1);
    writer.u16(topicLength);
    writer.u16(propertiesLength);
    pool.read(message, 0, length, this.body, writer.position);
    const record = this.append(RECORD_MESSAGE, state, 0, writer.position + length);
    if (record < 0) return false;
    pool.record[message] = record;
    return true;
  }

  /** Drops `references` durable references (0: only checks); the last one removes the record. */
  messageRelease(message: i32, references: i32): void {
    const pool = this.pool;
    pool.durable[message] -= references;
    if (pool.durable[message] > 0 || pool.record[message] < 0) return;
    this.failed(this.store.remove(pool.record[message]));
    pool.record[message] = -1;
  }

  private topicIsSystem(message: i32): bool {
    if (this.pool.topicLength[message] == 0) return false;
    this.pool.read(message, 0, 1, this.scratch, 0);
    const first: i32 = this.scratch[0];
    return first == 0x24; // '$' (MQTT-4.7.2-1)
  }

  // ---- start-up -----------------------------------------------------------------------------------

  /** Rebuilds the RAM tables from the store (durable_restore.ts). Returns the records restored. */
  restore(retained: RetainedTable): i32 {
    if (!this.on) return 0;
    return this.restorer!.restore(retained);
  }

  /** A message key restored from the store: keys given from now on come after it. */
  keyRestored(key: i32): void {
    if (key >= this.keyNext) this.keyNext = key == 0x7fffffff ? 1 : key + 1;
  }

  // ---- the store's answers --------------------------------------------------------------------------

  /** Appends the first `length` bytes of `body`. Returns the record, or -1 (counted). */
  private append(kind: i32, state: i32, packetId: i32, length: i32): i32 {
    const record = this.store.append(kind, state, packetId, this.body, 0, length);
    if (record >= 0) return record;
    this.counters[record == STORE_FULL ? COUNTER_STORE_FULL : COUNTER_STORE_FAILED]++;
    return -1;
  }

  /** Counts a store write that failed (COUNTER_STORE_FAILED). */
  failed(result: i32): void {
    if (result < 0) this.counters[COUNTER_STORE_FAILED]++;
  }
}
