/**
 * The MQTT client: sans-I/O and allocation-free after construction. Time comes in as wrap-safe
 * i32 milliseconds; bytes come in (`input`) and go out (`output`); everything the host and the
 * application must know is pulled (`events.take`), and `pollAtMs` says when to call `poll`.
 *
 * Connection states (the host's part in brackets):
 *
 *   IDLE --start--> WAITING --poll, at retryAtMs--> OPENING [EVENT_OPEN: open a socket]
 *   OPENING --opened--> CONNECTING (CONNECT written) --CONNACK 0--> CONNECTED
 *   any --closed--> WAITING, retryAtMs = now + backoff (or IDLE after `stop`, or without reconnect)
 *   CONNECTING/CONNECTED --refusal, protocol error, ping or CONNACK timeout, stop--> CLOSING
 *                        [EVENT_CLOSE: write what `output` still gives, close, call `closed`]
 *
 * Publishing: every publish becomes a record in the Store and an entry in the Outbox, whether
 * connected or not, and `output` sends entries in order, QoS 1/2 ones only while the in-flight
 * window (ours, capped by the server's Receive Maximum) has room. A publish returns a handle the
 * application can ask about (`status`) or wait for as an event. On reconnect the CONNACK decides
 * (MQTT-4.4.0-1): with the session present, unfinished PUBLISHes go again with DUP set and
 * PUBRELs again; without it, unacknowledged messages start over and PUBREC'd ones are done.
 *
 * Receiving: QoS 2 packet identifiers answered with PUBREC are kept (in the Store) until PUBREL,
 * so a message sent again before its PUBREL — on this connection or a resumed session — is
 * answered without being delivered twice. One message is delivered per `input` call: it stays
 * in `message` / `messageTopic` until the next `input`, which refuses to decode further while
 * its EVENT_MESSAGE has not been taken.
 *
 * Limits and their stated behaviour:
 * - outbox or store full: the publish's queue policy (options.ts: keep all / drop oldest /
 *   latest value per topic); drops are counted and reported by handle;
 * - subscription table full: ERR_LIST_FULL; filter longer than filterSizeMax: ERR_TOO_LARGE;
 * - a message larger than the server's Maximum Packet Size, or above its Maximum QoS, or
 *   retained where it has no retain: dropped with EVENT_DROPPED (MQTT-3.1.2-24, MQTT-3.2.2-11);
 * - acks waiting to be written: input pauses until `output` has taken them (back-pressure);
 * - more QoS 2 messages awaiting PUBREL than we have room for: in 5.0 the server broke our
 *   Receive Maximum (MQTT-3.3.4-9), in 3.x it cannot know it. Mosquitto 2.0.11 does both under
 *   a burst, so rather than drop the connection (and, with a clean session, the burst), the
 *   oldest remembered identifier gives way (counted, CLIENT_COUNTER_QOS2_FORGOTTEN): its
 *   PUBREC has been sent, so only if that PUBREC is lost to a cut and the server sends the
 *   message again would it be delivered twice.
 */
import { Clock } from "../core/time";
import { Reader, Span } from "../core/bytes";
import { ERR_FLASH_IO, ERR_LENGTH, ERR_LIST_FULL, ERR_NOT_FOUND, ERR_PROPERTY_NOT_ALLOWED, ERR_QOS, ERR_QUEUE_FULL, ERR_TOO_LARGE, ERR_TOPIC_FILTER, ERR_TOPIC_NAME, errorReasonCode } from "../core/errors";
import { Limits } from "../limits";
import {
  ASSIGNED_CLIENT_IDENTIFIER, CONNACK, DISCONNECT, MAXIMUM_PACKET_SIZE, MAXIMUM_QOS, MQTT_5, PINGREQ, PINGRESP, PUBACK,
  PUBCOMP, PUBLISH, PUBREC, PUBREL, RECEIVE_MAXIMUM, RETAIN_AVAILABLE, SERVER_KEEP_ALIVE, SUBACK, SUBSCRIPTION_IDENTIFIER,
  TOPIC_ALIAS, TOPIC_ALIAS_MAXIMUM, UNSUBACK,
} from "../codec/constants";
import { ClientInboundRepr, clientPacketDecode } from "../codec/client_packet";
import { PropertiesRepr, propertiesDecode } from "../codec/properties";
import { PublishRepr } from "../codec/publish";
import { topicFilterValid, topicNameValid } from "../codec/topic";
import { utf8Valid } from "../codec/utf8";
import {
  OUTGOING_QUEUED, OUTGOING_RELEASED, OUTGOING_SENT, RECORD_INCOMING, RECORD_OUTGOING, STORE_FULL, Store,
} from "../store/store";
import { ENTRY_FREE, ENTRY_QUEUED, ENTRY_RELEASED, ENTRY_SENT, Outbox, recordLength, recordWrite, topicHash } from "./outbox";
import { ClientSubscriptions, SUB_ACTIVE, SUB_FREE, SUB_SENT, SUB_UNSENT, SUB_UNWANTED, SUB_WANTED } from "./subscriptions";
import {
  ClientEvents, DROP_EXPIRED, DROP_QUEUE_FULL, DROP_REPLACED, EVENT_CLOSE, EVENT_CONNECTED, EVENT_DISCONNECTED, EVENT_DROPPED, EVENT_MESSAGE, EVENT_OPEN, EVENT_PUBLISHED, EVENT_REFUSED,
  EVENT_SUBSCRIBED, EVENT_UNSUBSCRIBED, HANDLE_DONE, HANDLE_DROPPED, HANDLE_FAILED, HANDLE_PENDING,
} from "./events";
import { AliasTable } from "./aliases";
import { AckQueue } from "./acks";
import { Qos2Receipts } from "./receipts";
import { PacketWriter } from "./writer";
import { ClientOptions, OPTION_CLIENT_ID, POLICY_KEEP_ALL, POLICY_LATEST } from "./options";
import {
  CLIENT_COUNTER_BYTES_RECEIVED, CLIENT_COUNTER_BYTES_SENT, CLIENT_COUNTER_CONNECTS, CLIENT_COUNTER_COUNT,
  CLIENT_COUNTER_DROP_EXPIRED, CLIENT_COUNTER_DROP_QUEUE, CLIENT_COUNTER_DROP_REFUSED_BY_LIMITS, CLIENT_COUNTER_DUPLICATES,
  CLIENT_COUNTER_EVENTS_DROPPED, CLIENT_COUNTER_MESSAGES_RECEIVED, CLIENT_COUNTER_MESSAGES_SENT, CLIENT_COUNTER_PING_TIMEOUTS,
  CLIENT_COUNTER_PROTOCOL_ERRORS, CLIENT_COUNTER_PUBLISH_FAILED, CLIENT_COUNTER_QOS2_FORGOTTEN, CLIENT_COUNTER_REFUSED_QUEUE_FULL, CLIENT_COUNTER_STORE_FAILED, CLIENT_COUNTER_UNKNOWN_ACKS,
} from "./counters";

export const CLIENT_IDLE: i32 = 0;
export const CLIENT_WAITING: i32 = 1;
export const CLIENT_OPENING: i32 = 2;
export const CLIENT_CONNECTING: i32 = 3;
export const CLIENT_CONNECTED: i32 = 4;
export const CLIENT_CLOSING: i32 = 5;

/** Events one ordinary packet can raise, at most: input pauses with less room than this. */
const EVENT_MARGIN: i32 = 4;
/** Acks (PUBACK, PUBREC, PUBREL, PUBCOMP) waiting for `output`; a full queue pauses input. */
const ACK_QUEUE_MAX: i32 = 32;
/** Reason codes we close with (MQTT 5 §2.4). */
const REASON_UNSPECIFIED: i32 = 0x80;
const REASON_PROTOCOL_ERROR: i32 = 0x82;
const REASON_IMPLEMENTATION_SPECIFIC: i32 = 0x83;
const REASON_KEEP_ALIVE_TIMEOUT: i32 = 0x8d;
const REASON_PACKET_ID_NOT_FOUND: i32 = 0x92;
const REASON_TOPIC_ALIAS_INVALID: i32 = 0x94;
const REASON_QUOTA_EXCEEDED: i32 = 0x97;
/** `pollAtMs` when no timer is running. */
const IDLE_POLL_MS: i32 = 60000;

export class Client {
  readonly limits: Limits;
  readonly options: ClientOptions;
  readonly store: Store;
  readonly outbox: Outbox;
  readonly subscriptions: ClientSubscriptions;
  readonly events: ClientEvents;
  /** Indexed by CLIENT_COUNTER_*. */
  readonly counters: Int32Array;
  /** Every entry point that is given the time reads it into the clock first. */
  readonly clock: Clock;
  /** The message of the last EVENT_MESSAGE, and its topic (resolved from an alias), until the next `input`. */
  readonly message: PublishRepr;
  readonly messageTopic: Span = new Span();

  state: i32 = CLIENT_IDLE;
  /** Protocol level of the current connection. */
  version: i32 = 4;
  /** Whether the last CONNACK resumed a session. */
  sessionPresent: bool = false;
  /** In-flight window in force: ours, capped by the server's Receive Maximum. */
  window: i32 = 0;
  /** Everything we send, and the server's limits on it. */
  readonly writer: PacketWriter;
  /** QoS 2 messages received and answered, awaiting PUBREL. */
  readonly receipts: Qos2Receipts;

  /** What `input` decodes into (and `message` points at). */
  private readonly packet: ClientInboundRepr;
  private readonly checkProperties: PropertiesRepr;
  private readonly reader: Reader = new Reader();
  private readonly span: Span = new Span();
  /** The server's topic aliases towards us (up to the maximum we announce). */
  private readonly aliasesIn: AliasTable;
  private readonly acks: AckQueue = new AckQueue();

  private connectDue: bool = false;
  private disconnectDue: bool = false;
  private disconnectReason: i32 = 0;
  private closeReason: i32 = REASON_UNSPECIFIED;
  /** Whether the connection being closed had been accepted. */
  private wasConnected: bool = false;
  private stopping: bool = false;
  private retryAtMs: i32 = 0;
  private attempt: i32 = 0;
  private connectDeadlineMs: i32 = 0;
  private keepAliveMs: i32 = 0;
  private lastOutputMs: i32 = 0;
  private pingOutstanding: bool = false;
  private pingSentMs: i32 = 0;
  private random: i32 = 1;
  private packetIdNext: i32 = 1;

  constructor(limits: Limits, store: Store) {
    const packet = new ClientInboundRepr(limits);
    this.limits = limits;
    this.store = store;
    this.options = new ClientOptions(limits.packetSizeMax);
    const clock = new Clock();
    this.clock = clock;
    this.outbox = new Outbox(limits.outgoingCountMax, clock);
    this.subscriptions = new ClientSubscriptions(limits.clientSubscriptionCountMax, limits.filterSizeMax);
    this.events = new ClientEvents(limits.outgoingCountMax + limits.clientSubscriptionCountMax + EVENT_MARGIN, limits.outgoingCountMax + 16);
    this.counters = new Int32Array(CLIENT_COUNTER_COUNT);
    this.packet = packet;
    this.writer = new PacketWriter(limits);
    this.receipts = new Qos2Receipts(limits.incomingCountMax);
    this.message = packet.publish;
    this.checkProperties = new PropertiesRepr(limits.propertyCountMax);
    this.aliasesIn = new AliasTable(limits.topicAliasCountMax, limits.filterSizeMax);
  }

  // ---- the application's calls ----------------------------------------------------------------

  /**
   * Rebuilds the outbox and the QoS 2 receive state from the store (after a reboot, with a
   * store that kept them). Call once, before `start`. Returns the messages recovered.
   */
  restore(nowMs: i32): i32 {
    this.clock.advance(nowMs);
    const store = this.store;
    const outbox = this.outbox;
    let recovered: i32 = 0;
    let record = store.first();
    while (record >= 0) {
      const next = store.next(record);
      const kind = store.kind(record);
      if (kind == RECORD_INCOMING && this.receipts.adopt(store.packetId(record), record)) {
        // kept
      } else if (kind == RECORD_OUTGOING) {
        const view = this.writer.recordRead(store, record);
        const index = outbox.add(record, this.events.handleNew(), view.qos, topicHash(view.topic));
        if (index < 0) {
          this.stored(store.remove(record)); // a smaller outbox than the one that wrote the store: counted, not kept
          this.count(CLIENT_COUNTER_DROP_QUEUE, 1);
        } else {
          const state = store.state(record);
          if (state != OUTGOING_QUEUED) {
            outbox.state[index] = state == OUTGOING_SENT ? ENTRY_SENT : ENTRY_RELEASED;
            outbox.packetId[index] = store.packetId(record);
            outbox.inflight++;
            outbox.sendCursor = outbox.count;
          }
          recovered++;
        }
      } else {
        this.stored(store.remove(record));
      }
      record = next;
    }
    return recovered;
  }

  /** Starts connecting (at the next `poll`), and reconnecting whenever the link drops. */
  start(nowMs: i32): void {
    this.clock.advance(nowMs);
    this.stopping = false;
    if (this.state != CLIENT_IDLE) return;
    this.random = this.options.seed;
    this.state = CLIENT_WAITING;
    this.retryAtMs = nowMs;
    this.attempt = 0;
  }

  /**
   * Disconnects cleanly (DISCONNECT with `reason`; 0 discards the will, MQTT-3.14.4-3; 5.0's
   * 0x04 sends it) and stops reconnecting. Queued messages stay queued for the next `start`.
   */
  stop(nowMs: i32, reason: i32): void {
    this.clock.advance(nowMs);
    this.stopping = true;
    if (this.state == CLIENT_WAITING) {
      this.state = CLIENT_IDLE;
    } else if (this.state == CLIENT_CONNECTED) {
      this.disconnectDue = true;
      this.disconnectReason = reason;
      this.close(0);
    } else if (this.state == CLIENT_OPENING || this.state == CLIENT_CONNECTING) {
      this.close(0);
    }
  }

  /**
   * Queues a message. `properties` is an MQTT 5 property list in wire form (its length first)
   * or empty; `policy` (POLICY_*, or -1 for options.queuePolicy) says what gives way when the
   * outbox is full. Returns a handle (> 0), or ERR_QOS, ERR_TOPIC_NAME, ERR_TOO_LARGE, ERR_PROPERTY_NOT_ALLOWED, a property
   * decoding error, ERR_QUEUE_FULL, or ERR_FLASH_IO when the store could not write it.
   */
  publish(topic: Span, payload: Span, properties: Span, qos: i32, retain: bool, policy: i32, nowMs: i32): i32 {
    this.clock.advance(nowMs);
    if (qos < 0 || qos > 2) return ERR_QOS;
    if (topic.length == 0 || !utf8Valid(topic.buffer, topic.offset, topic.length) || !topicNameValid(topic)) return ERR_TOPIC_NAME;
    if (properties.length > 0) {
      const error = this.propertiesCheck(properties);
      if (error != 0) return error;
    }
    const length = recordLength(topic, properties, payload);
    // Worst case on the wire: fixed header, topic, packet id, properties plus a Topic Alias.
    if (length + 5 + 2 + 3 > this.limits.packetSizeMax) return ERR_TOO_LARGE;
    const hash = topicHash(topic);
    const outbox = this.outbox;
    if (policy < 0) policy = this.options.queuePolicy;
    if (policy == POLICY_LATEST) {
      const same = this.queuedOnTopic(topic, hash);
      if (same >= 0) this.dropEntry(same, DROP_REPLACED);
    }
    while (outbox.live == outbox.capacity || !this.store.fits(length)) {
      const oldest = policy == POLICY_KEEP_ALL ? -1 : outbox.oldestQueued();
      if (oldest < 0) {
        this.count(CLIENT_COUNTER_REFUSED_QUEUE_FULL, 1);
        return ERR_QUEUE_FULL;
      }
      this.dropEntry(oldest, DROP_QUEUE_FULL);
    }
    const buffer = this.writer.record;
    recordWrite(buffer, topic, properties, payload, qos, retain);
    const record = this.store.append(RECORD_OUTGOING, OUTGOING_QUEUED, 0, buffer, 0, length);
    if (record == STORE_FULL) return ERR_QUEUE_FULL;
    if (record < 0) {
      this.stored(record); // the flash failed: not durable, so not accepted
      return ERR_FLASH_IO;
    }
    const handle = this.events.handleNew();
    outbox.add(record, handle, qos, hash);
    return handle;
  }

  /**
   * Subscribes to `filter` with `options` (the MQTT 5 options byte: QoS in bits 0-1, No Local,
   * Retain As Published, Retain Handling; 3.x uses the QoS only). Kept in the table and sent
   * again if the server loses the session. Returns a handle, or ERR_TOPIC_FILTER, ERR_QOS,
   * ERR_TOO_LARGE, ERR_LIST_FULL.
   */
  subscribe(filter: Span, options: i32): i32 {
    if (filter.length == 0 || !utf8Valid(filter.buffer, filter.offset, filter.length) || !topicFilterValid(filter)) return ERR_TOPIC_FILTER;
    if ((options & 3) > 2) return ERR_QOS;
    const subscriptions = this.subscriptions;
    if (filter.length > subscriptions.filterSizeMax) return ERR_TOO_LARGE;
    let index = subscriptions.find(filter);
    if (index < 0) index = subscriptions.add(filter);
    if (index < 0) return ERR_LIST_FULL;
    const handle = this.events.handleNew();
    subscriptions.options[index] = options;
    subscriptions.state[index] = SUB_WANTED;
    subscriptions.handle[index] = handle;
    return handle;
  }

  /** Unsubscribes from `filter`. Returns a handle, or ERR_NOT_FOUND. */
  unsubscribe(filter: Span): i32 {
    const subscriptions = this.subscriptions;
    const index = subscriptions.find(filter);
    if (index < 0) return ERR_NOT_FOUND;
    const handle = this.events.handleNew();
    subscriptions.handle[index] = handle;
    if (subscriptions.state[index] == SUB_WANTED) {
      subscriptions.state[index] = SUB_FREE; // never sent: nothing to undo on the server
      this.events.finish(EVENT_UNSUBSCRIBED, handle, HANDLE_DONE, 0);
    } else {
      subscriptions.state[index] = SUB_UNWANTED;
    }
    return handle;
  }

  /** HANDLE_PENDING, _DONE, _DROPPED, _FAILED, or _UNKNOWN for a handle never given or long forgotten. */
  status(handle: i32): i32 {
    const outbox = this.outbox;
    for (let offset = 0; offset < outbox.count; offset++) {
      const index = outbox.at(offset);
      if (outbox.state[index] != ENTRY_FREE && outbox.handle[index] == handle) return HANDLE_PENDING;
    }
    const subscriptions = this.subscriptions;
    for (let i = 0; i < subscriptions.capacity; i++) {
      const state: i32 = subscriptions.state[i];
      if (subscriptions.handle[i] == handle && state != SUB_FREE && state != SUB_ACTIVE) return HANDLE_PENDING;
    }
    return this.events.result(handle);
  }

  // ---- the host's calls -----------------------------------------------------------------------

  /** When `poll` should next be called (absolute, wrap-safe ms). */
  pollAtMs(nowMs: i32): i32 {
    if (this.state == CLIENT_WAITING) return this.retryAtMs;
    if (this.state == CLIENT_CONNECTING) return this.connectDeadlineMs;
    if (this.state == CLIENT_CONNECTED && this.keepAliveMs > 0) {
      return this.pingOutstanding ? (this.pingSentMs + this.pingTimeoutMs()) | 0 : (this.lastOutputMs + this.keepAliveMs) | 0;
    }
    return (nowMs + IDLE_POLL_MS) | 0;
  }

  /** Runs the timers: reconnect, CONNACK deadline, PINGRESP deadline. (`output` sends the PINGREQ.) */
  poll(nowMs: i32): void {
    this.clock.advance(nowMs);
    const state = this.state;
    if (state == CLIENT_WAITING && ((nowMs - this.retryAtMs) | 0) >= 0) {
      this.state = CLIENT_OPENING;
      this.count(CLIENT_COUNTER_CONNECTS, 1);
      this.events.push(EVENT_OPEN, 0, 0);
    } else if (state == CLIENT_CONNECTING && ((nowMs - this.connectDeadlineMs) | 0) >= 0) {
      this.close(REASON_UNSPECIFIED);
    } else if (state == CLIENT_CONNECTED && this.pingOutstanding && ((nowMs - this.pingSentMs) | 0) >= this.pingTimeoutMs()) {
      this.count(CLIENT_COUNTER_PING_TIMEOUTS, 1);
      this.close(REASON_KEEP_ALIVE_TIMEOUT);
    }
    this.counters[CLIENT_COUNTER_EVENTS_DROPPED] = this.events.dropped;
  }

  /** The host's socket (opened after EVENT_OPEN) is connected. */
  opened(nowMs: i32): void {
    this.clock.advance(nowMs);
    if (this.state != CLIENT_OPENING) {
      this.events.push(EVENT_CLOSE, 0, 0); // stopped meanwhile
      return;
    }
    const options = this.options;
    this.state = CLIENT_CONNECTING;
    this.version = options.version;
    this.connectDue = true;
    this.disconnectDue = false;
    this.closeReason = REASON_UNSPECIFIED;
    this.connectDeadlineMs = (nowMs + this.limits.connectTimeoutMs) | 0;
    this.keepAliveMs = options.keepAlive * 1000;
    this.lastOutputMs = nowMs;
    this.pingOutstanding = false;
    this.acks.clear();
    this.aliasesIn.reset(this.aliasesIn.capacity);
    this.writer.connectionNew(options.version);
  }

  /** The socket closed (or never opened). Schedules the next attempt. */
  closed(nowMs: i32): void {
    this.clock.advance(nowMs);
    const state = this.state;
    if (state == CLIENT_IDLE || state == CLIENT_WAITING) return;
    if (state == CLIENT_CONNECTED || (state == CLIENT_CLOSING && this.wasConnected)) {
      this.events.push(EVENT_DISCONNECTED, 0, this.closeReason);
    }
    this.window = 0;
    this.acks.clear();
    this.outbox.resendCursor = -1;
    if (this.stopping || !this.options.reconnect) {
      this.state = CLIENT_IDLE;
      return;
    }
    this.state = CLIENT_WAITING;
    this.retryAtMs = (nowMs + this.backoffMs()) | 0;
  }

  /**
   * Bytes arrived. Returns how many were consumed; the host keeps the rest and offers it again
   * (after taking events, and after `output` when acks were waiting).
   */
  input(nowMs: i32, source: Uint8Array, offset: i32, length: i32): i32 {
    this.clock.advance(nowMs);
    if (this.state != CLIENT_CONNECTING && this.state != CLIENT_CONNECTED) return length;
    if (this.events.holdsMessage()) return 0;
    let used: i32 = 0;
    while (used < length && !this.acks.full && this.events.room() >= EVENT_MARGIN) {
      const result = clientPacketDecode(source, offset + used, length - used, this.packet, this.version, this.limits.packetSizeMax);
      if (result == 0) break;
      if (result < 0) {
        this.protocolError(errorReasonCode(result));
        return length;
      }
      used += result;
      this.count(CLIENT_COUNTER_BYTES_RECEIVED, result);
      const delivered = this.handle(nowMs);
      if (this.state == CLIENT_CLOSING) return length;
      if (delivered) break;
    }
    return used;
  }

  /**
   * Writes what is due into `target[offset .. offset+capacity)`: CONNECT, acks, PINGREQ,
   * (UN)SUBSCRIBEs, resent flows, then new publishes as the window allows. Returns the byte
   * count, 0 when nothing is due. Call until it returns 0; give it at least packetSizeMax bytes.
   */
  output(nowMs: i32, target: Uint8Array, offset: i32, capacity: i32): i32 {
    this.clock.advance(nowMs);
    let written: i32 = 0;
    if (this.state == CLIENT_CLOSING) {
      if (this.disconnectDue && this.wasConnected) written = this.writer.disconnect(this.disconnectReason, target, offset, capacity);
      this.disconnectDue = false;
      return written;
    }
    if (this.state != CLIENT_CONNECTING && this.state != CLIENT_CONNECTED) return 0;
    if (this.connectDue) {
      written = this.writer.connect(this.options, this.limits, target, offset, capacity);
      if (written == 0) return 0;
      this.connectDue = false;
    }
    if (this.state == CLIENT_CONNECTED) written += this.outputConnected(nowMs, target, offset + written, capacity - written);
    if (written > 0) {
      this.lastOutputMs = nowMs;
      this.count(CLIENT_COUNTER_BYTES_SENT, written);
    }
    return written;
  }

  // ---- output -----------------------------------------------------------------------------------

  private outputConnected(nowMs: i32, target: Uint8Array, offset: i32, capacity: i32): i32 {
    let written: i32 = 0;
    const writer = this.writer;
    const acks = this.acks;
    // Acks first: they free the server's window.
    while (acks.count > 0) {
      const length = writer.ack(acks.type(), acks.packetId(), acks.reason(), target, offset + written, capacity - written);
      if (length == 0) return written;
      written += length;
      acks.pop();
    }
    if (this.keepAliveMs > 0 && !this.pingOutstanding && ((nowMs - this.lastOutputMs) | 0) >= this.keepAliveMs) {
      const length = writer.bare(PINGREQ, target, offset + written, capacity - written);
      if (length == 0) return written;
      written += length;
      this.pingOutstanding = true;
      this.pingSentMs = nowMs;
    }
    written += this.outputSubscriptions(target, offset + written, capacity - written);
    written += this.outputResends(nowMs, target, offset + written, capacity - written);
    written += this.outputPublishes(nowMs, target, offset + written, capacity - written);
    return written;
  }

  private outputSubscriptions(target: Uint8Array, offset: i32, capacity: i32): i32 {
    let written: i32 = 0;
    const subscriptions = this.subscriptions;
    let index = subscriptions.nextRequest();
    while (index >= 0) {
      const subscribing = subscriptions.state[index] == SUB_WANTED;
      const packetId = this.packetIdTake();
      subscriptions.filterOf(index, this.span);
      const options: i32 = subscriptions.options[index];
      const length = this.writer.subscribe(subscribing, this.span, options, packetId, target, offset + written, capacity - written);
      if (length == 0) break;
      written += length;
      subscriptions.state[index] = subscribing ? SUB_SENT : SUB_UNSENT;
      subscriptions.packetId[index] = packetId;
      index = subscriptions.nextRequest();
    }
    return written;
  }

  /** After a resumed session: every unfinished flow again, in order (MQTT-4.4.0-1). */
  private outputResends(nowMs: i32, target: Uint8Array, offset: i32, capacity: i32): i32 {
    const outbox = this.outbox;
    let written: i32 = 0;
    while (outbox.resendCursor >= 0 && outbox.resendCursor < outbox.sendCursor) {
      const index = outbox.at(outbox.resendCursor);
      const state: i32 = outbox.state[index];
      let length: i32 = 0;
      if (state == ENTRY_SENT) {
        length = this.writer.publish(this.store, outbox.record[index], outbox.packetId[index], outbox.queuedSeconds(index), true,
          target, offset + written, capacity - written);
      } else if (state == ENTRY_RELEASED) {
        length = this.writer.ack(PUBREL, outbox.packetId[index], 0, target, offset + written, capacity - written);
      } else {
        outbox.resendCursor++;
        continue;
      }
      if (length <= 0) return written; // no room now (a resend is never dropped)
      written += length;
      outbox.resendCursor++;
    }
    outbox.resendCursor = -1;
    return written;
  }

  private outputPublishes(nowMs: i32, target: Uint8Array, offset: i32, capacity: i32): i32 {
    const outbox = this.outbox;
    let written: i32 = 0;
    while (outbox.sendCursor < outbox.count) {
      const index = outbox.at(outbox.sendCursor);
      if (outbox.state[index] != ENTRY_QUEUED) {
        outbox.sendCursor++;
        continue;
      }
      const qos: i32 = outbox.qos[index];
      if (qos > 0 && outbox.inflight >= this.window) break;
      if (qos > 0) outbox.packetId[index] = this.packetIdTake();
      const length = this.writer.publish(this.store, outbox.record[index], outbox.packetId[index], outbox.queuedSeconds(index), false,
        target, offset + written, capacity - written);
      if (length == 0) break;
      outbox.sendCursor++; // the entry is behind the cursor now, so finishing it keeps the cursor right
      if (length < 0) {
        this.dropEntry(index, -length);
        continue;
      }
      written += length;
      this.count(CLIENT_COUNTER_MESSAGES_SENT, 1);
      if (qos == 0) {
        this.finishEntry(index, EVENT_PUBLISHED, HANDLE_DONE, 0);
      } else {
        outbox.state[index] = ENTRY_SENT;
        outbox.inflight++;
        this.stored(this.store.update(outbox.record[index], OUTGOING_SENT, outbox.packetId[index]));
      }
    }
    return written;
  }

  // ---- input --------------------------------------------------------------------------------------

  /** Acts on the decoded packet. Returns true when it delivered a message. */
  private handle(nowMs: i32): bool {
    const type = this.packet.type;
    if (this.state == CLIENT_CONNECTING && type != CONNACK) {
      this.protocolError(REASON_PROTOCOL_ERROR); // MQTT-3.2.0-1: the server's first packet is CONNACK
      return false;
    }
    switch (type) {
      case CONNACK:
        if (this.state != CLIENT_CONNECTING) this.protocolError(REASON_PROTOCOL_ERROR);
        else this.onConnack(nowMs);
        return false;
      case PUBLISH:
        return this.onPublish();
      case PUBACK:
      case PUBREC:
      case PUBCOMP:
        this.onAck(type);
        return false;
      case PUBREL:
        this.onPubrel();
        return false;
      case SUBACK:
      case UNSUBACK:
        this.onAckList(type);
        return false;
      case PINGRESP:
        this.pingOutstanding = false;
        return false;
      case DISCONNECT:
        this.close(this.packet.disconnect.reasonCode); // MQTT 5 §3.14: the server says why
        return false;
    }
    this.protocolError(REASON_PROTOCOL_ERROR); // CONNECT, SUBSCRIBE, PINGREQ, AUTH: not a server's to send
    return false;
  }

  private onConnack(nowMs: i32): void {
    const connack = this.packet.connack;
    if (connack.reasonCode != 0) {
      this.events.push(EVENT_REFUSED, 0, connack.reasonCode);
      this.close(connack.reasonCode);
      return;
    }
    this.state = CLIENT_CONNECTED;
    this.attempt = 0;
    this.sessionPresent = connack.sessionPresent;
    const properties = connack.properties;
    let receiveMaximum: i32 = 65535;
    const writer = this.writer;
    if (this.version == MQTT_5) {
      receiveMaximum = properties.numberOf(RECEIVE_MAXIMUM, 65535);
      const packetMax = properties.numberOf(MAXIMUM_PACKET_SIZE, 0);
      writer.serverPacketMax = packetMax > 0 ? packetMax : 0; // a u32 beyond i32: no limit worth the name
      writer.serverQosMax = properties.numberOf(MAXIMUM_QOS, 2);
      writer.serverRetain = properties.numberOf(RETAIN_AVAILABLE, 1) != 0;
      writer.aliases.reset(properties.numberOf(TOPIC_ALIAS_MAXIMUM, 0));
      const keepAlive = properties.numberOf(SERVER_KEEP_ALIVE, -1);
      if (keepAlive >= 0) this.keepAliveMs = keepAlive * 1000; // MQTT-3.2.2-21
      if (properties.spanOf(ASSIGNED_CLIENT_IDENTIFIER, this.span)) {
        // Reconnects must name the session the server made for us.
        this.options.setBytes(OPTION_CLIENT_ID, this.span.buffer, this.span.offset, this.span.length);
      }
    }
    this.window = this.limits.inflightCountMax < receiveMaximum ? this.limits.inflightCountMax : receiveMaximum;
    if (this.sessionPresent) this.sessionResume();
    else this.sessionRestart();
    this.events.push(EVENT_CONNECTED, 0, this.sessionPresent ? 1 : 0);
  }

  /** The server kept our session: every unfinished flow goes again, subscriptions stand. */
  private sessionResume(): void {
    this.outbox.resendCursor = this.outbox.sendCursor > 0 ? 0 : -1;
    const subscriptions = this.subscriptions;
    for (let i = 0; i < subscriptions.capacity; i++) {
      const state: i32 = subscriptions.state[i];
      if (state == SUB_SENT) subscriptions.state[i] = SUB_WANTED;
      else if (state == SUB_UNSENT) subscriptions.state[i] = SUB_UNWANTED;
    }
  }

  /**
   * A new session: messages the server never acknowledged start over (without DUP); those it
   * PUBREC'd are its own now, so they are done. Subscriptions are made again; the QoS 2 receive
   * state belonged to the old session (MQTT-4.3.3).
   */
  private sessionRestart(): void {
    const outbox = this.outbox;
    for (let offset = 0; offset < outbox.sendCursor; offset++) {
      const index = outbox.at(offset);
      const state: i32 = outbox.state[index];
      if (state == ENTRY_SENT) {
        outbox.state[index] = ENTRY_QUEUED;
        outbox.inflight--;
        outbox.packetId[index] = 0;
        this.stored(this.store.update(outbox.record[index], OUTGOING_QUEUED, 0));
      }
    }
    for (let offset = 0; offset < outbox.sendCursor; offset++) {
      const index = outbox.at(offset);
      if (outbox.state[index] != ENTRY_RELEASED) continue;
      this.stored(this.store.remove(outbox.record[index]));
      outbox.release(index);
      this.events.finish(EVENT_PUBLISHED, outbox.handle[index], HANDLE_DONE, 0);
    }
    outbox.trim();
    outbox.sendCursor = 0;
    outbox.resendCursor = -1;
    this.stored(this.receipts.clear(this.store));
    const subscriptions = this.subscriptions;
    for (let i = 0; i < subscriptions.capacity; i++) {
      const state: i32 = subscriptions.state[i];
      if (state == SUB_SENT || state == SUB_ACTIVE) {
        subscriptions.state[i] = SUB_WANTED;
      } else if (state == SUB_UNWANTED || state == SUB_UNSENT) {
        subscriptions.state[i] = SUB_FREE;
        this.events.finish(EVENT_UNSUBSCRIBED, subscriptions.handle[i], HANDLE_DONE, 0);
      }
    }
  }

  private onPublish(): bool {
    const publish = this.packet.publish;
    const topic = this.messageTopic;
    topic.copyFrom(publish.topic);
    if (this.version == MQTT_5) {
      const alias = publish.properties.numberOf(TOPIC_ALIAS, 0);
      if (alias > this.aliasesIn.capacity) {
        this.protocolError(REASON_TOPIC_ALIAS_INVALID); // MQTT-3.3.2-9: above the maximum we announced
        return false;
      }
      if (alias > 0 && publish.topic.length > 0 && !this.aliasesIn.set(alias, publish.topic)) {
        this.protocolError(REASON_IMPLEMENTATION_SPECIFIC); // a topic longer than our alias slots (filterSizeMax)
        return false;
      }
      if (alias > 0 && publish.topic.length == 0 && !this.aliasesIn.get(alias, topic)) {
        this.protocolError(REASON_PROTOCOL_ERROR); // MQTT 5 §3.3.2.3.4: an alias never set
        return false;
      }
    }
    const packetId = publish.packetId;
    if (publish.qos == 2) {
      const receipts = this.receipts;
      if (receipts.find(packetId) >= 0) {
        this.count(CLIENT_COUNTER_DUPLICATES, 1); // delivered already: answer, do not deliver again
        this.acks.push(PUBREC, packetId, 0);
        return false;
      }
      if (receipts.full) {
        this.stored(receipts.forget(this.store));
        this.count(CLIENT_COUNTER_QOS2_FORGOTTEN, 1);
      }
      if (!receipts.add(packetId, this.store)) {
        this.protocolError(REASON_QUOTA_EXCEEDED); // cannot remember it: unacknowledged, sent again later
        return false;
      }
      this.acks.push(PUBREC, packetId, 0);
    } else if (publish.qos == 1) {
      this.acks.push(PUBACK, packetId, 0);
    }
    this.count(CLIENT_COUNTER_MESSAGES_RECEIVED, 1);
    this.events.push(EVENT_MESSAGE, 0, 0);
    return true;
  }

  private onAck(type: i32): void {
    const ack = this.packet.ack;
    const outbox = this.outbox;
    const index = outbox.findSent(ack.packetId, type == PUBCOMP ? ENTRY_RELEASED : ENTRY_SENT);
    const expected: i32 = type == PUBACK ? 1 : 2;
    if (index < 0 || outbox.qos[index] != expected) {
      this.count(CLIENT_COUNTER_UNKNOWN_ACKS, 1);
      if (type == PUBREC) this.acks.push(PUBREL, ack.packetId, REASON_PACKET_ID_NOT_FOUND); // MQTT 5 §4.3.3
      return;
    }
    const reason = ack.reasonCode;
    if (type == PUBREC && reason < 0x80) {
      outbox.state[index] = ENTRY_RELEASED;
      this.stored(this.store.update(outbox.record[index], OUTGOING_RELEASED, ack.packetId));
      this.acks.push(PUBREL, ack.packetId, 0);
      return;
    }
    // A PUBCOMP's only other code, 0x92, answers a PUBREL sent again for a flow the server had
    // already finished: "not an error during recovery" (MQTT 5 §3.7.2.1). The message is delivered.
    const failed = reason >= 0x80 && type != PUBCOMP;
    if (failed) this.count(CLIENT_COUNTER_PUBLISH_FAILED, 1);
    this.finishEntry(index, EVENT_PUBLISHED, failed ? HANDLE_FAILED : HANDLE_DONE, reason);
  }

  private onPubrel(): void {
    const packetId = this.packet.ack.packetId;
    const index = this.receipts.find(packetId);
    if (index >= 0) this.stored(this.receipts.release(index, this.store));
    this.acks.push(PUBCOMP, packetId, index >= 0 ? 0 : REASON_PACKET_ID_NOT_FOUND); // MQTT-4.3.3-11: answer either way
  }

  private onAckList(type: i32): void {
    const ackList = this.packet.ackList;
    const subscriptions = this.subscriptions;
    const index = subscriptions.findSent(ackList.packetId, type == SUBACK ? SUB_SENT : SUB_UNSENT);
    if (index < 0) {
      this.count(CLIENT_COUNTER_UNKNOWN_ACKS, 1);
      return;
    }
    const reason = ackList.reasonCodes.length > 0 ? ackList.reasonCodes.at(0) : 0; // 3.x UNSUBACK has none
    const handle = subscriptions.handle[index];
    const failed = reason >= 0x80;
    if (type == SUBACK) {
      subscriptions.state[index] = failed ? SUB_FREE : SUB_ACTIVE;
      this.events.finish(EVENT_SUBSCRIBED, handle, failed ? HANDLE_FAILED : HANDLE_DONE, reason);
    } else {
      subscriptions.state[index] = SUB_FREE;
      this.events.finish(EVENT_UNSUBSCRIBED, handle, failed ? HANDLE_FAILED : HANDLE_DONE, reason);
    }
  }

  // ---- helpers ----------------------------------------------------------------------------------

  /** Asks the host to close the link; a 5.0 connection first gets a DISCONNECT with `reason`. */
  private close(reason: i32): void {
    if (this.state == CLIENT_CLOSING) return;
    this.closeReason = reason;
    this.wasConnected = this.state == CLIENT_CONNECTED;
    this.state = CLIENT_CLOSING;
    this.events.push(EVENT_CLOSE, 0, reason);
  }

  private protocolError(reason: i32): void {
    this.count(CLIENT_COUNTER_PROTOCOL_ERRORS, 1);
    if (this.state == CLIENT_CONNECTED && this.version == MQTT_5) {
      this.disconnectDue = true; // MQTT 5 §4.13: say why before closing
      this.disconnectReason = reason;
    }
    this.close(reason);
  }

  /** Adds `amount` to `counter` (CLIENT_COUNTER_*). */
  private count(counter: i32, amount: i32): void {
    this.counters[counter] += amount;
  }

  /** Counts a store write that did not reach the flash (a Store answer < 0). */
  private stored(result: i32): void {
    if (result < 0) this.counters[CLIENT_COUNTER_STORE_FAILED]++;
  }

  /** A packet identifier no unfinished flow uses (MQTT-2.2.1-3), cycling 1 .. 65535. */
  private packetIdTake(): i32 {
    for (let tries = 0; tries < 65535; tries++) {
      const id = this.packetIdNext;
      this.packetIdNext = id == 65535 ? 1 : id + 1;
      if (!this.outbox.usesPacketId(id) && !this.subscriptions.usesPacketId(id)) return id;
    }
    return 1; // unreachable: the window is far smaller than 65535
  }

  private finishEntry(index: i32, kind: i32, state: i32, reason: i32): void {
    const outbox = this.outbox;
    const handle = outbox.handle[index];
    this.stored(this.store.remove(outbox.record[index]));
    outbox.finish(index);
    this.events.finish(kind, handle, state, reason);
  }

  private dropEntry(index: i32, why: i32): void {
    if (why == DROP_QUEUE_FULL || why == DROP_REPLACED) this.count(CLIENT_COUNTER_DROP_QUEUE, 1);
    else if (why == DROP_EXPIRED) this.count(CLIENT_COUNTER_DROP_EXPIRED, 1);
    else this.count(CLIENT_COUNTER_DROP_REFUSED_BY_LIMITS, 1);
    this.finishEntry(index, EVENT_DROPPED, HANDLE_DROPPED, why);
  }

  /** A queued, unsent entry on `topic`, or -1. */
  private queuedOnTopic(topic: Span, hash: i32): i32 {
    const outbox = this.outbox;
    for (let offset = outbox.sendCursor; offset < outbox.count; offset++) {
      const index = outbox.at(offset);
      if (outbox.state[index] != ENTRY_QUEUED || outbox.topicHash[index] != hash) continue;
      const stored = this.writer.recordRead(this.store, outbox.record[index]).topic;
      if (stored.length != topic.length) continue;
      let same = true;
      for (let i = 0; i < topic.length && same; i++) same = stored.at(i) == topic.at(i);
      if (same) return index;
    }
    return -1;
  }

  /** 0 when `properties` is a well-formed PUBLISH property list a client may send. */
  private propertiesCheck(properties: Span): i32 {
    const reader = this.reader;
    const end = properties.offset + properties.length;
    reader.reset(properties.buffer, properties.offset, end);
    propertiesDecode(reader, PUBLISH, this.checkProperties);
    if (reader.error != 0) return reader.error;
    if (reader.position != end) return ERR_LENGTH;
    // MQTT-3.3.4-6: no Subscription Identifier from a client; the Topic Alias is ours to choose.
    if (this.checkProperties.has(SUBSCRIPTION_IDENTIFIER) || this.checkProperties.has(TOPIC_ALIAS)) return ERR_PROPERTY_NOT_ALLOWED;
    return 0;
  }

  private pingTimeoutMs(): i32 {
    if (this.options.pingTimeoutMs > 0) return this.options.pingTimeoutMs;
    const half = (this.keepAliveMs / 2) | 0;
    return half > 1000 ? half : 1000;
  }

  /** Exponential backoff with jitter: uniform in [d/2, d], d = min * 2^attempt capped at max. */
  private backoffMs(): i32 {
    const options = this.options;
    let delay = options.reconnectMinMs;
    for (let i = 0; i < this.attempt && delay < options.reconnectMaxMs; i++) delay = delay * 2;
    if (delay > options.reconnectMaxMs) delay = options.reconnectMaxMs;
    this.attempt++;
    // xorshift32: deterministic from the seed, so tests can replay a schedule.
    let x = this.random;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.random = x;
    const half = (delay / 2) | 0;
    return half + ((x >>> 1) % (half + 1));
  }
}
