/**
 * Sessions (MQTT 5 §4.1): what the broker remembers of a client — its id, its subscriptions
 * (in the TopicTable, keyed by session index), the messages queued for it, the QoS 1/2
 * deliveries in flight to it, and the QoS 2 packet ids it sent whose PUBREL has not come yet.
 * A session outlives its connection when it is persistent, until its expiry.
 *
 * Everything is a fixed array sized once: `count` sessions, each with a ring of `queueCapacity`
 * queued deliveries, `inflightCapacity` in-flight slots and `incomingCapacity` QoS 2 ids.
 * A delivery holds a reference on its message in the MessagePool.
 *
 * With the flash store on (durable.ts), a persistent session, each of its QoS 1/2 deliveries and
 * each QoS 2 id it sent also has a store record; `record`, `queueRecord`, `inflightRecord` and
 * `incomingRecord` hold their handles, or -1 for what lives in RAM only.
 */
import { Span } from "../core/bytes";
import { Clock } from "../core/time";

/** Delivery state of an in-flight slot. */
export const INFLIGHT_FREE: i32 = 0;
/** PUBLISH sent, waiting for PUBACK (QoS 1) or PUBREC (QoS 2). */
export const INFLIGHT_PUBLISHED: i32 = 1;
/** PUBREL sent, waiting for PUBCOMP; the message itself is already released. */
export const INFLIGHT_RELEASED: i32 = 2;

/** Session Expiry Interval meaning "never" (MQTT 5 §3.1.2.11.2). */
export const EXPIRY_NEVER: i32 = -1;

export class Sessions {
  readonly clientIdSizeMax: i32;
  readonly queueCapacity: i32;
  readonly inflightCapacity: i32;
  readonly incomingCapacity: i32;

  /** Length of the client id, or -1 for a free slot. */
  readonly clientIdLength: Int32Array;
  readonly clientIds: Uint8Array;
  /**
   * The user name the session was opened with (the certificate's, with use_identity_as_username),
   * or length -1 for an anonymous client: the ACL judges the session by it, online, offline and
   * after a restart.
   */
  readonly usernameSizeMax: i32;
  readonly usernameLength: Int32Array;
  readonly usernames: Uint8Array;
  /** The connection slot attached, or -1 while offline. */
  readonly connection: Int32Array;
  /**
   * Seconds the session lives after its connection ends (a u32 held in an i32): 0 ends it at
   * once, EXPIRY_NEVER never; and the moment it went offline (`Clock` seconds and ms).
   */
  readonly expirySeconds: Int32Array;
  readonly offlineAtSeconds: Int32Array;
  readonly offlineAtMs: Int32Array;
  readonly nextPacketId: Int32Array;
  /**
   * A will waiting out its Will Delay Interval (MQTT 5 §3.1.3.2.2), a MessagePool slot or -1,
   * and its delay (seconds, a u32 held in an i32), counted from `offlineAt`.
   */
  readonly willMessage: Int32Array;
  readonly willDelaySeconds: Int32Array;
  /** The session's store record while it is durable, or -1. */
  readonly record: Int32Array;

  readonly queueHead: Int32Array;
  readonly queueLength: Int32Array;
  /**
   * When the queue last moved while full: it became full, or gave a delivery to its connection
   * (`clock.nowMs`). A publisher waits for a full subscriber only while this is recent.
   */
  readonly queueMovedAtMs: Int32Array;
  /** Sessions whose queue is full: while none is, a PUBLISH need not ask whether to wait. */
  fullCount: i32 = 0;
  readonly queueMessage: Int32Array;
  readonly queueQos: Uint8Array;
  readonly queueRetain: Uint8Array;
  readonly queueSubscriptionId: Int32Array;
  readonly queueRecord: Int32Array;

  readonly inflightState: Uint8Array;
  readonly inflightMessage: Int32Array;
  readonly inflightPacketId: Int32Array;
  readonly inflightQos: Uint8Array;
  readonly inflightRecord: Int32Array;
  readonly inflightCount: Int32Array;

  readonly incomingPacketId: Int32Array;
  readonly incomingCount: Int32Array;
  readonly incomingRecord: Int32Array;

  used: i32 = 0;
  usedPeak: i32 = 0;
  private readonly view: Span = new Span();
  private readonly usernameView: Span = new Span();

  private readonly clock: Clock;

  constructor(count: i32, clientIdSizeMax: i32, usernameSizeMax: i32, queueCapacity: i32, inflightCapacity: i32,
    incomingCapacity: i32, clock: Clock) {
    this.clock = clock;
    this.usernameSizeMax = usernameSizeMax;
    this.usernameLength = new Int32Array(count);
    this.usernames = new Uint8Array(count * usernameSizeMax);
    this.clientIdSizeMax = clientIdSizeMax;
    this.queueCapacity = queueCapacity;
    this.inflightCapacity = inflightCapacity;
    this.incomingCapacity = incomingCapacity;
    this.clientIdLength = new Int32Array(count);
    this.clientIds = new Uint8Array(count * clientIdSizeMax);
    this.connection = new Int32Array(count);
    this.expirySeconds = new Int32Array(count);
    this.offlineAtSeconds = new Int32Array(count);
    this.offlineAtMs = new Int32Array(count);
    this.nextPacketId = new Int32Array(count);
    this.willMessage = new Int32Array(count);
    this.willDelaySeconds = new Int32Array(count);
    this.record = new Int32Array(count);
    this.queueHead = new Int32Array(count);
    this.queueLength = new Int32Array(count);
    this.queueMovedAtMs = new Int32Array(count);
    this.queueMessage = new Int32Array(count * queueCapacity);
    this.queueQos = new Uint8Array(count * queueCapacity);
    this.queueRetain = new Uint8Array(count * queueCapacity);
    this.queueSubscriptionId = new Int32Array(count * queueCapacity);
    this.queueRecord = new Int32Array(count * queueCapacity);
    this.inflightState = new Uint8Array(count * inflightCapacity);
    this.inflightMessage = new Int32Array(count * inflightCapacity);
    this.inflightPacketId = new Int32Array(count * inflightCapacity);
    this.inflightQos = new Uint8Array(count * inflightCapacity);
    this.inflightRecord = new Int32Array(count * inflightCapacity);
    this.inflightCount = new Int32Array(count);
    this.incomingPacketId = new Int32Array(count * incomingCapacity);
    this.incomingCount = new Int32Array(count);
    this.incomingRecord = new Int32Array(count * incomingCapacity);
    this.clientIdLength.fill(-1);
    this.record.fill(-1);
    this.connection.fill(-1);
    this.willMessage.fill(-1);
  }

  get count(): i32 {
    return this.clientIdLength.length;
  }

  clientIdOf(session: i32): Span {
    this.view.set(this.clientIds, session * this.clientIdSizeMax, this.clientIdLength[session]);
    return this.view;
  }

  /** The session's user name (empty for an anonymous client: see `hasUsername`). */
  usernameOf(session: i32): Span {
    const length = this.usernameLength[session];
    this.usernameView.set(this.usernames, session * this.usernameSizeMax, length < 0 ? 0 : length);
    return this.usernameView;
  }

  hasUsername(session: i32): bool {
    return this.usernameLength[session] >= 0;
  }

  /** Sets the session's user name (`hasUsername` false: anonymous); it fits `usernameSizeMax`. */
  usernameSet(session: i32, hasUsername: bool, username: Span): void {
    this.usernameLength[session] = hasUsername ? username.length : -1;
    if (hasUsername) bytesCopy(this.usernames, session * this.usernameSizeMax, username.buffer, username.offset, username.length);
  }

  /** Whether `session` belongs to that user (anonymous matches anonymous only). */
  userIs(session: i32, hasUsername: bool, username: Span): bool {
    const length = this.usernameLength[session];
    if (!hasUsername) return length < 0;
    if (length != username.length) return false;
    const base = session * this.usernameSizeMax;
    for (let i = 0; i < length; i++) if (this.usernames[base + i] != username.at(i)) return false;
    return true;
  }

  /** Sessions held by that user (anonymous clients together count as one user). */
  countOfUser(hasUsername: bool, username: Span): i32 {
    let count: i32 = 0;
    for (let session = 0; session < this.count; session++) {
      if (this.clientIdLength[session] >= 0 && this.userIs(session, hasUsername, username)) count++;
    }
    return count;
  }

  /** The session whose client id is `clientId`, or -1. */
  find(clientId: Span): i32 {
    for (let session = 0; session < this.count; session++) {
      if (this.clientIdLength[session] != clientId.length) continue;
      const base = session * this.clientIdSizeMax;
      let same = true;
      for (let i = 0; i < clientId.length && same; i++) same = this.clientIds[base + i] == clientId.at(i);
      if (same) return session;
    }
    return -1;
  }

  /** Claims a free session for `clientId` (which fits `clientIdSizeMax`). Returns it, or -1 when none is free. */
  create(clientId: Span): i32 {
    for (let session = 0; session < this.count; session++) {
      if (this.claim(session, clientId)) return session;
    }
    return -1;
  }

  /** Claims `session` for `clientId` when it is free (`create`, and restoring a session into its old slot). */
  claim(session: i32, clientId: Span): bool {
    if (this.clientIdLength[session] >= 0) return false;
    this.clientIdLength[session] = clientId.length;
    bytesCopy(this.clientIds, session * this.clientIdSizeMax, clientId.buffer, clientId.offset, clientId.length);
    this.usernameLength[session] = -1;
    this.connection[session] = -1;
    this.expirySeconds[session] = 0;
    this.nextPacketId[session] = 1;
    this.willMessage[session] = -1;
    this.record[session] = -1;
    this.queueHead[session] = 0;
    this.queueLength[session] = 0;
    this.inflightCount[session] = 0;
    this.inflightState.fill(INFLIGHT_FREE, session * this.inflightCapacity, (session + 1) * this.inflightCapacity);
    this.incomingCount[session] = 0;
    this.used++;
    if (this.used > this.usedPeak) this.usedPeak = this.used;
    return true;
  }

  /** `session` has no connection from now on. */
  offlineFromNow(session: i32): void {
    this.connection[session] = -1;
    this.offlineAtSeconds[session] = this.clock.seconds;
    this.offlineAtMs[session] = this.clock.nowMs;
  }

  /** Frees `session`; the caller has released its messages and subscriptions. */
  free(session: i32): void {
    this.clientIdLength[session] = -1;
    this.connection[session] = -1;
    this.used--;
  }

  /** The next packet id for a delivery to `session`, skipping ids still in flight (MQTT-2.2.1-3). */
  packetIdNext(session: i32): i32 {
    for (let tries = 0; tries < 65535; tries++) {
      const id = this.nextPacketId[session];
      this.nextPacketId[session] = id == 65535 ? 1 : id + 1;
      if (this.inflightFind(session, id) < 0) return id;
    }
    return 0;
  }

  /** Index (absolute) of the in-flight slot of `session` with `packetId`, or -1. */
  inflightFind(session: i32, packetId: i32): i32 {
    const base = session * this.inflightCapacity;
    for (let i = base; i < base + this.inflightCapacity; i++) {
      if (this.inflightState[i] != INFLIGHT_FREE && this.inflightPacketId[i] == packetId) return i;
    }
    return -1;
  }

  /** A free in-flight slot (absolute index) of `session`, or -1. */
  inflightFree(session: i32): i32 {
    const base = session * this.inflightCapacity;
    for (let i = base; i < base + this.inflightCapacity; i++) if (this.inflightState[i] == INFLIGHT_FREE) return i;
    return -1;
  }

  queueFull(session: i32): bool {
    return this.queueLength[session] == this.queueCapacity;
  }

  /** Appends a delivery (and its store record, or -1) to `session`'s queue, which is not full. */
  queuePush(session: i32, message: i32, qos: i32, retain: bool, subscriptionId: i32, record: i32): void {
    const length = this.queueLength[session];
    assert(length < this.queueCapacity, "Sessions.queuePush: full");
    const index = session * this.queueCapacity + ((this.queueHead[session] + length) % this.queueCapacity);
    this.queueMessage[index] = message;
    this.queueQos[index] = qos;
    this.queueRetain[index] = retain ? 1 : 0;
    this.queueSubscriptionId[index] = subscriptionId;
    this.queueRecord[index] = record;
    this.queueLength[session] = length + 1;
    if (length + 1 == this.queueCapacity) {
      this.fullCount++;
      this.queueMovedAtMs[session] = this.clock.nowMs;
    }
  }

  /** Absolute index of the oldest queued delivery of `session`, or -1 when empty. */
  queueFront(session: i32): i32 {
    if (this.queueLength[session] == 0) return -1;
    return session * this.queueCapacity + this.queueHead[session];
  }

  queuePop(session: i32): void {
    this.queueHead[session] = (this.queueHead[session] + 1) % this.queueCapacity;
    if (this.queueLength[session] == this.queueCapacity) this.fullCount--;
    this.queueLength[session]--;
    this.queueMovedAtMs[session] = this.clock.nowMs;
  }

  /** Index (absolute) of QoS 2 `packetId` awaiting PUBREL in `session`, or -1. */
  incomingFind(session: i32, packetId: i32): i32 {
    const base = session * this.incomingCapacity;
    for (let i = base; i < base + this.incomingCount[session]; i++) if (this.incomingPacketId[i] == packetId) return i;
    return -1;
  }

  /** Records QoS 2 `packetId` until PUBREL. Returns its index (absolute), or -1 when all slots are taken. */
  incomingAdd(session: i32, packetId: i32): i32 {
    const count = this.incomingCount[session];
    if (count == this.incomingCapacity) return -1;
    const index = session * this.incomingCapacity + count;
    this.incomingPacketId[index] = packetId;
    this.incomingRecord[index] = -1;
    this.incomingCount[session] = count + 1;
    return index;
  }

  /** Forgets entry `index` of `session` (PUBREL arrived); the last entry moves into its place. */
  incomingRemove(session: i32, index: i32): void {
    const last = session * this.incomingCapacity + this.incomingCount[session] - 1;
    this.incomingPacketId[index] = this.incomingPacketId[last];
    this.incomingRecord[index] = this.incomingRecord[last];
    this.incomingCount[session]--;
  }
}
