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
export const COUNTER_COUNT: i32 = 14;

/** Event: close the socket of the slot once `output` has nothing more for it. */
export const EVENT_CLOSE: i32 = 1;
