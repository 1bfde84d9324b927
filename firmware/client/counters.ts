/** The client's counters, indexed by CLIENT_COUNTER_*: nothing is dropped or refused unseen. */
export const CLIENT_COUNTER_MESSAGES_SENT: i32 = 0;
export const CLIENT_COUNTER_MESSAGES_RECEIVED: i32 = 1;
export const CLIENT_COUNTER_BYTES_SENT: i32 = 2;
export const CLIENT_COUNTER_BYTES_RECEIVED: i32 = 3;
/** Connections opened (the first and every reconnect). */
export const CLIENT_COUNTER_CONNECTS: i32 = 4;
/** Publishes dropped by the queue policy (full, or replaced by a newer value). */
export const CLIENT_COUNTER_DROP_QUEUE: i32 = 5;
/** Publishes refused with ERR_QUEUE_FULL under POLICY_KEEP_ALL. */
export const CLIENT_COUNTER_REFUSED_QUEUE_FULL: i32 = 6;
/** Messages whose Message Expiry passed before they could be sent. */
export const CLIENT_COUNTER_DROP_EXPIRED: i32 = 7;
/** Messages larger than the server's Maximum Packet Size, or beyond its Maximum QoS / Retain Available. */
export const CLIENT_COUNTER_DROP_REFUSED_BY_LIMITS: i32 = 8;
/** QoS 2 messages received again before their PUBREL: answered, not delivered twice. */
export const CLIENT_COUNTER_DUPLICATES: i32 = 9;
/** Connections closed for the server's protocol errors or malformed packets. */
export const CLIENT_COUNTER_PROTOCOL_ERRORS: i32 = 10;
/** Events that found the event ring full (their outcome can still be asked for by handle). */
export const CLIENT_COUNTER_EVENTS_DROPPED: i32 = 11;
/** Acks naming a packet identifier we have no flow for: ignored. */
export const CLIENT_COUNTER_UNKNOWN_ACKS: i32 = 12;
/** Publishes the server refused (ack reason code >= 0x80). */
export const CLIENT_COUNTER_PUBLISH_FAILED: i32 = 13;
/** PINGRESP deadlines missed. */
export const CLIENT_COUNTER_PING_TIMEOUTS: i32 = 14;
/** QoS 2 identifiers forgotten to make room when a server sent more than our Receive Maximum. */
export const CLIENT_COUNTER_QOS2_FORGOTTEN: i32 = 15;
/** Store writes (state changes, removals) that did not reach the flash: the flow goes on; after a reboot it may repeat. */
export const CLIENT_COUNTER_STORE_FAILED: i32 = 16;
export const CLIENT_COUNTER_COUNT: i32 = 17;
