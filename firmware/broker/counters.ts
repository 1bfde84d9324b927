/**
 * What the broker counts (for $SYS and tests) and the events it hands the host. Counters are
 * i32 and wrap; a host reading them as unsigned gets 2^32 before they repeat.
 */

export const COUNTER_MESSAGES_RECEIVED: i32 = 0;
export const COUNTER_MESSAGES_SENT: i32 = 1;
export const COUNTER_BYTES_RECEIVED: i32 = 2;
export const COUNTER_BYTES_SENT: i32 = 3;
/** Sockets refused: no slot at all, or a CONNACK refusal. */
export const COUNTER_REFUSED_CONNECTIONS: i32 = 4;
/** Connections closed for malformed packets or protocol errors. */
export const COUNTER_PROTOCOL_ERRORS: i32 = 5;
/** Deliveries dropped because the subscriber's queue was full. */
export const COUNTER_DROP_QUEUE_FULL: i32 = 6;
/** Messages dropped (QoS 0) or refused (QoS 1/2) because the message pool was full. */
export const COUNTER_DROP_POOL_FULL: i32 = 7;
/** Deliveries dropped because they exceeded the client's Maximum Packet Size. */
export const COUNTER_DROP_TOO_LARGE: i32 = 8;
/** Deliveries dropped because their Message Expiry Interval had passed. */
export const COUNTER_DROP_EXPIRED: i32 = 9;
/** PUBLISH and SUBSCRIBE refused by the ACL. */
export const COUNTER_DENIED: i32 = 10;
/**
 * Durable writes the flash store had no room for: a persistent session's QoS 1/2 delivery is
 * dropped (as for a full queue); a session, subscription, retained message or QoS 2 receipt
 * stays in RAM only, and would not outlive a restart.
 */
export const COUNTER_STORE_FULL: i32 = 11;
/** Store writes that did not reach the flash (device error): the state may be older after a restart. */
export const COUNTER_STORE_FAILED: i32 = 12;
/** Records found at start-up that the tables could not take (smaller limits than the store was written with). */
export const COUNTER_RESTORE_DROPPED: i32 = 13;
/** Sockets closed before their CONNECT: timed out, or pushed out by newer ones (connectingCountMax). */
export const COUNTER_CONNECT_ABANDONED: i32 = 14;
/** QoS 0 deliveries dropped because the subscriber's connection was not taking its output (congested). */
export const COUNTER_DROP_CONGESTED: i32 = 15;
export const COUNTER_COUNT: i32 = 16;

// ---- events -----------------------------------------------------------------------------------
// The host pulls them with `nextEvent` (the kind, or -1), then reads `eventSlot` and
// `eventReason` of the event just pulled.

/**
 * Close the socket of the slot once `output` has nothing more for it, and report it `closed`.
 * Its reason: the MQTT 5 reason code the server sent (or, to a 3.x client, would have sent) with
 * the refusal or DISCONNECT, or one of CLOSE_* below.
 */
export const EVENT_CLOSE: i32 = 1;
/** A CONNECT was accepted on the slot (reason 0): its client id and user name can be read now. */
export const EVENT_CONNECTED: i32 = 2;

/** Close reason: the client sent DISCONNECT; its own reason code is in the low byte. */
export const CLOSE_BY_CLIENT: i32 = 0x100;
/** Close reason: no CONNECT within `connectTimeoutMs`. */
export const CLOSE_CONNECT_TIMEOUT: i32 = 0x200;
/** Close reason: still without CONNECT when `connectingCountMax` newer sockets wanted the room. */
export const CLOSE_PUSHED_OUT: i32 = 0x201;
