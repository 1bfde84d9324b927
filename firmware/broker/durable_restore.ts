/**
 * The broker's durable state, restored: at start-up, after the store's `recover` and before any
 * connection, the RAM tables are rebuilt from the records durable.ts wrote (their layouts are
 * there). Sessions and messages come first, then the subscriptions, deliveries and receipts that
 * name them; a child whose session or message is missing, and a record the tables cannot take
 * (smaller limits than the store was written with), is removed and counted
 * (COUNTER_RESTORE_DROPPED). A QoS 2 receipt found PENDING is a publish cut short before its
 * PUBREC: it is rolled back with its message and deliveries, so the sender's resend is routed
 * once. Every restored session is offline from now.
 */
import { Reader, Span } from "../core/bytes";
import {
  OUTGOING_QUEUED, OUTGOING_RELEASED, OUTGOING_SENT, RECORD_DELIVERY, RECORD_INCOMING, RECORD_MESSAGE, RECORD_SESSION,
  RECORD_SESSION_ANONYMOUS, RECORD_SUBSCRIPTION, Store,
} from "../store/store";
import { MessagePool } from "./messages";
import { INFLIGHT_PUBLISHED, INFLIGHT_RELEASED, Sessions } from "./sessions";
import { TopicTable } from "./topic_table";
import { RetainedTable } from "./retained";
import { COUNTER_RESTORE_DROPPED } from "./counters";
import {
  Durable, INCOMING_PENDING, MESSAGE_FLAG_EXPIRY, MESSAGE_FLAG_RETAIN, MESSAGE_RETAINED, USERNAME_NONE,
} from "./durable";

/** Rolled-back publishes one start-up can meet (one per cut; more only after flash errors). */
const ROLLBACK_COUNT_MAX: i32 = 8;

export class DurableRestore {
  private readonly durable: Durable;
  private readonly store: Store;
  private readonly pool: MessagePool;
  private readonly sessions: Sessions;
  private readonly topics: TopicTable;
  private readonly counters: Int32Array;
  /** Durable's buffers (nothing is written while the restore runs): the record being read, and topic comparisons. */
  private readonly body: Uint8Array;
  private readonly scratch: Uint8Array;
  private readonly reader: Reader = new Reader();
  private readonly topic: Span = new Span();
  private readonly properties: Span = new Span();
  private readonly payload: Span = new Span();
  private readonly rollbackKeys: Int32Array = new Int32Array(ROLLBACK_COUNT_MAX);
  private rollbackCount: i32 = 0;

  constructor(durable: Durable, store: Store, pool: MessagePool, sessions: Sessions, topics: TopicTable, counters: Int32Array) {
    this.durable = durable;
    this.store = store;
    this.pool = pool;
    this.sessions = sessions;
    this.topics = topics;
    this.counters = counters;
    this.body = durable.body;
    this.scratch = durable.scratch;
  }

  /**
   * Rebuilds the RAM tables from the store (once, after `recover`, before any connection):
   * sessions and messages first, then subscriptions, deliveries and receipts, which name them.
   * Every restored session is offline from now. Returns the records restored.
   */
  restore(retained: RetainedTable): i32 {
    const store = this.store;
    let restored: i32 = 0;
    let record = store.first();
    while (record >= 0) {
      const next = store.next(record);
      const kind = store.kind(record);
      let kept = true;
      if (kind == RECORD_SESSION || kind == RECORD_SESSION_ANONYMOUS) kept = this.sessionRestore(record, kind);
      else if (kind == RECORD_INCOMING && store.state(record) == INCOMING_PENDING) kept = this.rollback(record);
      else if (kind == RECORD_MESSAGE) kept = this.messageRestore(record, retained);
      if (kind == RECORD_SESSION || kind == RECORD_SESSION_ANONYMOUS || kind == RECORD_MESSAGE) restored += kept ? 1 : 0;
      record = next;
    }
    record = store.first();
    while (record >= 0) {
      const next = store.next(record);
      const kind = store.kind(record);
      if (kind == RECORD_SUBSCRIPTION || kind == RECORD_DELIVERY || kind == RECORD_INCOMING) {
        if (this.childRestore(record, kind)) restored++;
      } else if (kind != RECORD_SESSION && kind != RECORD_SESSION_ANONYMOUS && kind != RECORD_MESSAGE) {
        this.drop(record); // not a broker record (a client's store?): counted, not kept
      }
      record = next;
    }
    // Every message in the pool now is one the restore allocated and holds; from here only its
    // deliveries and its retained use hold it.
    const pool = this.pool;
    for (let message = 0; message < pool.slotCount; message++) {
      if (pool.references[message] == 0) continue;
      if (pool.record[message] >= 0) this.durable.messageRelease(message, 0);
      pool.release(message);
    }
    return restored;
  }

  private sessionRestore(record: i32, kind: i32): bool {
    const reader = this.readBody(record);
    const session = reader.u16();
    const expiry = reader.u32();
    let usernameLength = USERNAME_NONE;
    if (kind == RECORD_SESSION) {
      const clientIdLength = reader.u16();
      usernameLength = reader.u16();
      reader.bytes(this.topic, clientIdLength);
      reader.bytes(this.payload, usernameLength == USERNAME_NONE ? 0 : usernameLength);
    } else {
      reader.bytes(this.topic, reader.remaining());
      this.payload.set(this.body, 0, 0);
    }
    const sessions = this.sessions;
    if (reader.error != 0 || reader.remaining() != 0 || session >= sessions.count || this.topic.length > sessions.clientIdSizeMax ||
      this.payload.length > sessions.usernameSizeMax) return this.drop(record);
    if (sessions.record[session] >= 0) {
      // A later record for the same slot supersedes the earlier (an expiry change cut before
      // the old record's removal); nothing hangs on the slot yet, the children come next.
      this.durable.failed(this.store.remove(sessions.record[session]));
      sessions.free(session);
    }
    if (!sessions.claim(session, this.topic)) return this.drop(record);
    sessions.usernameSet(session, usernameLength != USERNAME_NONE, this.payload);
    sessions.record[session] = record;
    sessions.expirySeconds[session] = expiry;
    sessions.offlineFromNow(session);
    this.durable.sessionExpiry[session] = expiry;
    return true;
  }

  /** A receipt cut short before its PUBREC: forget it, its message and its deliveries. */
  private rollback(record: i32): bool {
    const reader = this.readBody(record);
    reader.u16();
    const key = reader.u32();
    if (this.rollbackCount < ROLLBACK_COUNT_MAX) {
      this.rollbackKeys[this.rollbackCount] = key;
      this.rollbackCount++;
    }
    this.durable.failed(this.store.remove(record));
    return false;
  }

  private messageRestore(record: i32, retained: RetainedTable): bool {
    const reader = this.readBody(record);
    const key = reader.u32();
    const qos = reader.u8();
    const flags = reader.u8();
    const retain = (flags & MESSAGE_FLAG_RETAIN) != 0;
    const expiry = reader.u32();
    // Records written before the flag stood for "none" with an expiry of -1.
    const expiryOn = (flags & MESSAGE_FLAG_EXPIRY) != 0 || expiry != -1;
    const topicLength = reader.u16();
    const propertiesLength = reader.u16();
    reader.bytes(this.topic, topicLength);
    reader.bytes(this.properties, propertiesLength);
    reader.bytes(this.payload, reader.remaining());
    for (let i = 0; i < this.rollbackCount; i++) {
      if (this.rollbackKeys[i] == key) {
        this.durable.failed(this.store.remove(record));
        return false;
      }
    }
    if (reader.error != 0) return this.drop(record);
    // Message Expiry starts again at start-up: the core has no wall clock (MQTT-3.3.2-5 counts from receipt).
    const message = this.pool.allocate(this.topic, this.properties, this.payload, qos, retain, expiryOn, expiry);
    if (message < 0) return this.drop(record);
    const pool = this.pool;
    pool.record[message] = record;
    pool.key[message] = key;
    this.durable.keyRestored(key);
    if (this.store.state(record) == MESSAGE_RETAINED) retained.update(pool, message, this.topic, this.scratch);
    return true;
  }

  private childRestore(record: i32, kind: i32): bool {
    const reader = this.readBody(record);
    const session = reader.u16();
    const sessions = this.sessions;
    if (reader.error != 0 || session >= sessions.count || sessions.record[session] < 0) return this.drop(record);
    if (kind == RECORD_SUBSCRIPTION) return this.subscriptionRestore(record, session, reader);
    if (kind == RECORD_DELIVERY) return this.deliveryRestore(record, session, reader);
    const index = sessions.incomingAdd(session, this.store.packetId(record));
    if (index < 0) return this.drop(record);
    sessions.incomingRecord[index] = record;
    return true;
  }

  private subscriptionRestore(record: i32, session: i32, reader: Reader): bool {
    const qos = reader.u8();
    const noLocal = reader.u8();
    const retainAsPublished = reader.u8();
    const retainHandling = reader.u8();
    const subscriptionId = reader.u32();
    reader.bytes(this.topic, reader.remaining());
    const topics = this.topics;
    if (reader.error != 0) return this.drop(record);
    const slot = topics.subscribe(session, this.topic);
    if (slot < 0) return this.drop(record);
    if (topics.existed) this.durable.subscriptionForget(slot, -1); // superseded by this later copy
    topics.optionsSet(slot, qos, noLocal, retainAsPublished, retainHandling, subscriptionId);
    topics.record[slot] = record;
    return true;
  }

  private deliveryRestore(record: i32, session: i32, reader: Reader): bool {
    const qos = reader.u8();
    const retain = reader.u8() != 0;
    const subscriptionId = reader.u32();
    const key = reader.u32();
    const sessions = this.sessions;
    const pool = this.pool;
    const state = this.store.state(record);
    let message: i32 = -1;
    if (state != OUTGOING_RELEASED) {
      for (let slot = 0; slot < pool.slotCount && message < 0; slot++) {
        if (pool.references[slot] > 0 && pool.key[slot] == key && pool.record[slot] >= 0) message = slot;
      }
      if (message < 0) return this.drop(record); // its message was rolled back or could not be restored
    }
    if (state == OUTGOING_QUEUED) {
      if (sessions.queueFull(session)) return this.drop(record);
      sessions.queuePush(session, message, qos, retain, subscriptionId, record);
    } else {
      const flight = sessions.inflightFree(session);
      if (flight < 0) return this.drop(record);
      sessions.inflightState[flight] = state == OUTGOING_SENT ? INFLIGHT_PUBLISHED : INFLIGHT_RELEASED;
      sessions.inflightMessage[flight] = message;
      sessions.inflightPacketId[flight] = this.store.packetId(record);
      sessions.inflightQos[flight] = qos;
      sessions.inflightRecord[flight] = record;
      sessions.inflightCount[session]++;
    }
    if (message >= 0) {
      pool.retainReference(message);
      pool.durable[message]++;
    }
    return true;
  }

  /** A record the tables cannot take: counted and removed. Returns false. */
  private drop(record: i32): bool {
    this.counters[COUNTER_RESTORE_DROPPED]++;
    this.durable.failed(this.store.remove(record));
    return false;
  }

  private readBody(record: i32): Reader {
    const length = this.store.read(record, this.body, 0);
    this.reader.reset(this.body, 0, length);
    return this.reader;
  }
}
