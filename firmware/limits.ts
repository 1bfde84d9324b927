/**
 * Every capacity and size in wrenmq, named *_MAX / *_SIZE, each saying what it sizes.
 *
 * The constants are the defaults and hard ceilings; a board profile (`boards/*.json`) may lower
 * or raise the run-time values in `Limits`, which `init()` reads once to size every table and
 * buffer. Nothing is sized after `init()`. `limitsCheck()` states the relations between limits
 * and is run at init and by a test.
 */

/** Largest packet accepted or sent, fixed header included. Sizes each RX window and TX scratch. */
export const PACKET_SIZE_MAX: i32 = 4096;
/** The protocol's own ceiling on Remaining Length: 4 varint bytes (MQTT 5 §1.5.5). */
export const REMAINING_LENGTH_MAX: i32 = 268435455;
/** Fixed header bytes at most: 1 type byte and a 4-byte Remaining Length. */
export const FIXED_HEADER_SIZE_MAX: i32 = 5;
/** MQTT 5 properties one packet (or one will) may carry. Sizes each PropertiesRepr. */
export const PROPERTY_COUNT_MAX: i32 = 32;
/** Topic filters one SUBSCRIBE or UNSUBSCRIBE may carry in full. Sizes SubscribeRepr. */
export const TOPIC_FILTER_COUNT_MAX: i32 = 16;

// ---- broker -----------------------------------------------------------------------------------
/** Network connections open at once (mosquitto.conf max_connections). Sizes the connection table. */
export const CONNECTION_COUNT_MAX: i32 = 64;
/** Sessions, connected and offline persistent ones. Sizes the session table. */
export const SESSION_COUNT_MAX: i32 = 64;
/** Subscriptions of all sessions together. Sizes the static topic table. */
export const SUBSCRIPTION_COUNT_MAX: i32 = 256;
/** Bytes of a stored topic filter. Sizes each topic-table slot. */
export const FILTER_SIZE_MAX: i32 = 128;
/** Bytes of a client identifier (MQTT 3.1 allowed 23; 5.0 servers may allow more). */
export const CLIENT_ID_SIZE_MAX: i32 = 64;
/** Deliveries queued per session (mosquitto.conf max_queued_messages). Sizes each session's ring. */
export const QUEUE_COUNT_MAX: i32 = 100;
/** QoS 1/2 deliveries in flight per session (max_inflight_messages). */
export const INFLIGHT_COUNT_MAX: i32 = 20;
/** QoS 2 messages a client may have awaiting PUBREL: the Receive Maximum we announce. */
export const INCOMING_COUNT_MAX: i32 = 20;
/** Messages the broker holds at once (retained, queued, in flight). Sizes the message pool. */
export const MESSAGE_COUNT_MAX: i32 = 512;
/** Bytes for those messages' topics, properties and payloads. */
export const MESSAGE_BYTES_MAX: i32 = 262144;
/** Retained messages. Sizes the retained table. */
export const RETAINED_COUNT_MAX: i32 = 128;
/** Topic aliases a 5.0 client may set per connection: the Topic Alias Maximum we announce (0 = none). */
export const TOPIC_ALIAS_COUNT_MAX: i32 = 10;
/** A connection that has not sent CONNECT by then is closed (MQTT-3.1.4 leaves the value to us). */
export const CONNECT_TIMEOUT_MS: i32 = 10000;
/**
 * Connections that have not sent CONNECT yet, beyond `connectionCountMax`. Sizes their share of
 * the connection table; when it is taken, a new socket pushes out the one waiting longest.
 */
export const CONNECTING_COUNT_MAX: i32 = 16;
/** Largest first packet (the CONNECT, will included) before a connection is accepted. */
export const CONNECT_SIZE_MAX: i32 = 16384;
/** Bytes of a user name the broker keeps per session (for the ACL, across restarts). */
export const USERNAME_SIZE_MAX: i32 = 64;
/**
 * How long a QoS 1/2 publisher is held (its input paused) for a connected subscriber whose
 * queue is full and that makes no progress, before that subscriber's copy is dropped instead.
 */
export const QUEUE_WAIT_MS: i32 = 5000;

// ---- client ------------------------------------------------------------------------------
/** Messages a client holds to send: its in-flight window plus its offline queue. Sizes the outbox. */
export const OUTGOING_COUNT_MAX: i32 = 32;
/** Bytes of the client's memory store: topics, properties and payloads of those messages. */
export const STORE_BYTES_MAX: i32 = 16384;
/** Topic filters a client keeps subscribed (and subscribes again after a session is lost). */
export const CLIENT_SUBSCRIPTION_COUNT_MAX: i32 = 8;

// ---- flash store ---------------------------------------------------------------------------
/**
 * Records the broker's flash store indexes (sessions, subscriptions, messages, deliveries,
 * receipts): sizes its RAM index, 26 bytes a record. When all are live, durable writes are
 * refused and counted (COUNTER_STORE_FULL).
 */
export const STORE_RECORD_COUNT_MAX: i32 = 4096;

/** Run-time limits, filled once from the board profile at init. */
export class Limits {
  packetSizeMax: i32 = PACKET_SIZE_MAX;
  propertyCountMax: i32 = PROPERTY_COUNT_MAX;
  topicFilterCountMax: i32 = TOPIC_FILTER_COUNT_MAX;
  connectionCountMax: i32 = CONNECTION_COUNT_MAX;
  sessionCountMax: i32 = SESSION_COUNT_MAX;
  subscriptionCountMax: i32 = SUBSCRIPTION_COUNT_MAX;
  filterSizeMax: i32 = FILTER_SIZE_MAX;
  clientIdSizeMax: i32 = CLIENT_ID_SIZE_MAX;
  queueCountMax: i32 = QUEUE_COUNT_MAX;
  inflightCountMax: i32 = INFLIGHT_COUNT_MAX;
  incomingCountMax: i32 = INCOMING_COUNT_MAX;
  messageCountMax: i32 = MESSAGE_COUNT_MAX;
  messageBytesMax: i32 = MESSAGE_BYTES_MAX;
  retainedCountMax: i32 = RETAINED_COUNT_MAX;
  connectTimeoutMs: i32 = CONNECT_TIMEOUT_MS;
  topicAliasCountMax: i32 = TOPIC_ALIAS_COUNT_MAX;
  outgoingCountMax: i32 = OUTGOING_COUNT_MAX;
  storeBytesMax: i32 = STORE_BYTES_MAX;
  clientSubscriptionCountMax: i32 = CLIENT_SUBSCRIPTION_COUNT_MAX;
  storeRecordCountMax: i32 = STORE_RECORD_COUNT_MAX;
  /** Largest Keep Alive a client may ask for, in seconds (max_keepalive); 0 = no limit. */
  keepAliveMaxSeconds: i32 = 0;
  /** Whether retained messages are kept (retain_available). */
  retainAvailable: bool = true;
  /** Seconds between $SYS updates (sys_interval); 0 turns them off. */
  sysIntervalSeconds: i32 = 10;
  /** Offline seconds after which a session that would never expire ends (persistent_client_expiration); 0 = never. */
  persistentExpirySeconds: i32 = 0;
  /** Sessions one user name may hold (anonymous clients count as one user); 0 = no cap. */
  sessionsPerUserMax: i32 = 0;
  connectingCountMax: i32 = CONNECTING_COUNT_MAX;
  connectSizeMax: i32 = CONNECT_SIZE_MAX;
  usernameSizeMax: i32 = USERNAME_SIZE_MAX;
  queueWaitMs: i32 = QUEUE_WAIT_MS;

  /** Sets the limits a host passes in (from a board profile). Returns 0, or limitsCheck's complaint. */
  configure(packetSizeMax: i32, propertyCountMax: i32, topicFilterCountMax: i32): i32 {
    this.packetSizeMax = packetSizeMax;
    this.propertyCountMax = propertyCountMax;
    this.topicFilterCountMax = topicFilterCountMax;
    return limitsCheck(this);
  }
}

/** Returns 0 when the limits are consistent, or a negative number naming the first broken rule. */
export function limitsCheck(limits: Limits): i32 {
  // The smallest useful packet: CONNECT with a short client id and a few properties.
  if (limits.packetSizeMax < 64 || limits.packetSizeMax > REMAINING_LENGTH_MAX + FIXED_HEADER_SIZE_MAX) return -1;
  if (limits.propertyCountMax < 1) return -2;
  if (limits.topicFilterCountMax < 1) return -3;
  return 0;
}

/** limitsCheck for a broker: the codec's rules and the tables'. 0, or the first broken rule. */
export function brokerLimitsCheck(limits: Limits): i32 {
  const codec = limitsCheck(limits);
  if (codec != 0) return codec;
  if (limits.connectionCountMax < 1 || limits.sessionCountMax < 1) return -4;
  if (limits.subscriptionCountMax < 1 || limits.filterSizeMax < 1 || limits.clientIdSizeMax < 23) return -5; // MQTT-3.1.3-5
  if (limits.queueCountMax < 1 || limits.inflightCountMax < 1 || limits.incomingCountMax < 1 || limits.incomingCountMax > 65535) return -6;
  if (limits.messageCountMax < 1 || limits.messageBytesMax < limits.packetSizeMax) return -7; // one largest message must fit
  if (limits.topicAliasCountMax < 0 || limits.topicAliasCountMax > 65535) return -8;
  if (limits.connectingCountMax < 1 || limits.connectSizeMax < 64) return -10; // used as min(connectSizeMax, packetSizeMax)
  if (limits.usernameSizeMax < 1 || limits.persistentExpirySeconds < 0 || limits.sessionsPerUserMax < 0 || limits.queueWaitMs < 0) return -11;
  return 0;
}

/** limitsCheck for a client: the codec's rules and the client's tables. 0, or the first broken rule. */
export function clientLimitsCheck(limits: Limits): i32 {
  const codec = limitsCheck(limits);
  if (codec != 0) return codec;
  if (limits.outgoingCountMax < 1 || limits.inflightCountMax < 1 || limits.incomingCountMax < 1 || limits.incomingCountMax > 65535) return -6;
  if (limits.storeBytesMax < limits.packetSizeMax) return -7; // one largest message must fit
  if (limits.topicAliasCountMax < 0 || limits.topicAliasCountMax > 65535) return -8;
  if (limits.clientSubscriptionCountMax < 1 || limits.filterSizeMax < 1) return -9;
  return 0;
}

/** Identifiers for `limitSet`, so a host can set any limit through one numeric call. */
export const LIMIT_PACKET_SIZE_MAX: i32 = 1;
export const LIMIT_PROPERTY_COUNT_MAX: i32 = 2;
export const LIMIT_TOPIC_FILTER_COUNT_MAX: i32 = 3;
export const LIMIT_CONNECTION_COUNT_MAX: i32 = 4;
export const LIMIT_SESSION_COUNT_MAX: i32 = 5;
export const LIMIT_SUBSCRIPTION_COUNT_MAX: i32 = 6;
export const LIMIT_FILTER_SIZE_MAX: i32 = 7;
export const LIMIT_CLIENT_ID_SIZE_MAX: i32 = 8;
export const LIMIT_QUEUE_COUNT_MAX: i32 = 9;
export const LIMIT_INFLIGHT_COUNT_MAX: i32 = 10;
export const LIMIT_INCOMING_COUNT_MAX: i32 = 11;
export const LIMIT_MESSAGE_COUNT_MAX: i32 = 12;
export const LIMIT_MESSAGE_BYTES_MAX: i32 = 13;
export const LIMIT_RETAINED_COUNT_MAX: i32 = 14;
export const LIMIT_CONNECT_TIMEOUT_MS: i32 = 15;
export const LIMIT_KEEP_ALIVE_MAX_SECONDS: i32 = 16;
export const LIMIT_RETAIN_AVAILABLE: i32 = 17;
export const LIMIT_SYS_INTERVAL_SECONDS: i32 = 18;
export const LIMIT_TOPIC_ALIAS_COUNT_MAX: i32 = 19;
export const LIMIT_OUTGOING_COUNT_MAX: i32 = 20;
export const LIMIT_STORE_BYTES_MAX: i32 = 21;
export const LIMIT_CLIENT_SUBSCRIPTION_COUNT_MAX: i32 = 22;
export const LIMIT_STORE_RECORD_COUNT_MAX: i32 = 23;
export const LIMIT_PERSISTENT_EXPIRY_SECONDS: i32 = 24;
export const LIMIT_SESSIONS_PER_USER_MAX: i32 = 25;
export const LIMIT_CONNECTING_COUNT_MAX: i32 = 26;
export const LIMIT_CONNECT_SIZE_MAX: i32 = 27;
export const LIMIT_USERNAME_SIZE_MAX: i32 = 28;
export const LIMIT_QUEUE_WAIT_MS: i32 = 29;

/** Sets limit `id` to `value`. Returns false for an unknown id. */
export function limitSet(limits: Limits, id: i32, value: i32): bool {
  switch (id) {
    case LIMIT_PACKET_SIZE_MAX: limits.packetSizeMax = value; break;
    case LIMIT_PROPERTY_COUNT_MAX: limits.propertyCountMax = value; break;
    case LIMIT_TOPIC_FILTER_COUNT_MAX: limits.topicFilterCountMax = value; break;
    case LIMIT_CONNECTION_COUNT_MAX: limits.connectionCountMax = value; break;
    case LIMIT_SESSION_COUNT_MAX: limits.sessionCountMax = value; break;
    case LIMIT_SUBSCRIPTION_COUNT_MAX: limits.subscriptionCountMax = value; break;
    case LIMIT_FILTER_SIZE_MAX: limits.filterSizeMax = value; break;
    case LIMIT_CLIENT_ID_SIZE_MAX: limits.clientIdSizeMax = value; break;
    case LIMIT_QUEUE_COUNT_MAX: limits.queueCountMax = value; break;
    case LIMIT_INFLIGHT_COUNT_MAX: limits.inflightCountMax = value; break;
    case LIMIT_INCOMING_COUNT_MAX: limits.incomingCountMax = value; break;
    case LIMIT_MESSAGE_COUNT_MAX: limits.messageCountMax = value; break;
    case LIMIT_MESSAGE_BYTES_MAX: limits.messageBytesMax = value; break;
    case LIMIT_RETAINED_COUNT_MAX: limits.retainedCountMax = value; break;
    case LIMIT_CONNECT_TIMEOUT_MS: limits.connectTimeoutMs = value; break;
    case LIMIT_KEEP_ALIVE_MAX_SECONDS: limits.keepAliveMaxSeconds = value; break;
    case LIMIT_RETAIN_AVAILABLE: limits.retainAvailable = value != 0; break;
    case LIMIT_SYS_INTERVAL_SECONDS: limits.sysIntervalSeconds = value; break;
    case LIMIT_TOPIC_ALIAS_COUNT_MAX: limits.topicAliasCountMax = value; break;
    case LIMIT_OUTGOING_COUNT_MAX: limits.outgoingCountMax = value; break;
    case LIMIT_STORE_BYTES_MAX: limits.storeBytesMax = value; break;
    case LIMIT_CLIENT_SUBSCRIPTION_COUNT_MAX: limits.clientSubscriptionCountMax = value; break;
    case LIMIT_STORE_RECORD_COUNT_MAX: limits.storeRecordCountMax = value; break;
    case LIMIT_PERSISTENT_EXPIRY_SECONDS: limits.persistentExpirySeconds = value; break;
    case LIMIT_SESSIONS_PER_USER_MAX: limits.sessionsPerUserMax = value; break;
    case LIMIT_CONNECTING_COUNT_MAX: limits.connectingCountMax = value; break;
    case LIMIT_CONNECT_SIZE_MAX: limits.connectSizeMax = value; break;
    case LIMIT_USERNAME_SIZE_MAX: limits.usernameSizeMax = value; break;
    case LIMIT_QUEUE_WAIT_MS: limits.queueWaitMs = value; break;
    default: return false;
  }
  return true;
}
