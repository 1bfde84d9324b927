/**
 * Errors are values. Every function that can refuse returns a negative `ERR_*` code; zero and
 * positive values are results (bytes consumed, lengths). Codes are grouped by whose fault they
 * are, so a caller can tell "close this connection" from "try later":
 *
 *   -1 … -39   the peer's bytes: malformed packets and protocol violations (MQTT 5 §4.13)
 *   -40 … -59  our own limits: a valid packet that this build cannot hold
 *   -60 … -79  state: a request that makes no sense now
 *   -80 … -99  platform: the outside world failed (flash, sockets)
 *
 * `errorReasonCode` maps each code to the MQTT 5 reason code a broker or client sends when it
 * closes a connection for it (MQTT 5 §2.4); 3.1.1 has no such codes and just closes.
 */

// ---- the peer's fault: Malformed Packet (0x81) --------------------------------------------
/** Remaining Length or a Variable Byte Integer longer than 4 bytes or not in its shortest form (MQTT 5 §1.5.5). */
export const ERR_VARINT: i32 = -1;
/** Fixed-header flag bits that the spec reserves have the wrong value (MQTT-2.2.2-2). */
export const ERR_RESERVED_FLAGS: i32 = -2;
/** A QoS of 3, in a PUBLISH, a will or a subscription (MQTT-3.3.1-4). */
export const ERR_QOS: i32 = -3;
/** A string is not well-formed UTF-8, encodes a surrogate, or contains U+0000 (MQTT-1.5.4-1..2). */
export const ERR_UTF8: i32 = -4;
/** A field runs past the Remaining Length, or bytes are left over after the last field. */
export const ERR_LENGTH: i32 = -5;
/** Packet type 0, or a type that does not exist in this protocol version (AUTH before 5.0). */
export const ERR_PACKET_TYPE: i32 = -6;
/** A property identifier that does not exist, or is not allowed in this packet (MQTT 5 §2.2.2.2). */
export const ERR_PROPERTY_INVALID: i32 = -7;
/** A reason code that is not defined for this packet type (MQTT 5 §2.4). */
export const ERR_REASON_CODE: i32 = -8;
/** Reserved bits in CONNECT flags, CONNACK flags or subscription options are not 0 (MQTT-3.1.2-3, MQTT-3.8.3-5). */
export const ERR_RESERVED_BITS: i32 = -9;
/** DUP set on a QoS 0 PUBLISH (MQTT-3.3.1-2). */
export const ERR_DUP_QOS0: i32 = -10;

// ---- the peer's fault: Protocol Error (0x82) ----------------------------------------------
/** A packet identifier of 0 where a non-zero one is required (MQTT-2.2.1-3 / 3.1.1 MQTT-2.3.1-1). */
export const ERR_PACKET_ID: i32 = -20;
/** A property that may appear once appears twice (MQTT 5 §2.2.2.2). */
export const ERR_PROPERTY_DUPLICATE: i32 = -21;
/** A property value the spec forbids: 0 for Receive Maximum, 2 for a boolean byte, … (MQTT 5 §3.1.2.11). */
export const ERR_PROPERTY_VALUE: i32 = -22;
/** Will flags inconsistent: QoS or retain without the will flag (MQTT-3.1.2-11, -13, -15). */
export const ERR_WILL_FLAGS: i32 = -23;
/** Password flag without the user name flag, before MQTT 5 (MQTT 3.1.1 MQTT-3.1.2-22). */
export const ERR_PASSWORD_FLAG: i32 = -24;
/** SUBSCRIBE or UNSUBSCRIBE with no topic filter, or an ack with no reason code (MQTT-3.8.3-3, MQTT-3.10.3-2). */
export const ERR_EMPTY_LIST: i32 = -25;
/** Retain Handling of 3 in subscription options (MQTT 5 §3.8.3.1). */
export const ERR_RETAIN_HANDLING: i32 = -26;
/** An empty topic name where it is not allowed: before 5.0, or without a Topic Alias (MQTT-4.7.3-1, MQTT 5 §3.3.2.3.4). */
export const ERR_TOPIC_EMPTY: i32 = -27;

// ---- the peer's fault: other reason codes ------------------------------------------------
/** A topic name holding `+` or `#` (MQTT-3.3.2-2). Reason 0x90 Topic Name invalid. */
export const ERR_TOPIC_NAME: i32 = -30;
/** A topic filter with a misplaced wildcard, e.g. `a/b#` or `a/#/b` (MQTT-4.7.1-2, -3). Reason 0x8F. */
export const ERR_TOPIC_FILTER: i32 = -31;
/** CONNECT protocol level this codec does not speak (MQTT-3.1.2-2). Reason 0x84. */
export const ERR_PROTOCOL_VERSION: i32 = -32;
/** CONNECT protocol name other than "MQTT" (4, 5) or "MQIsdp" (3) (MQTT-3.1.2-1). Reason 0x84. */
export const ERR_PROTOCOL_NAME: i32 = -33;

// ---- our limits ---------------------------------------------------------------------------
/** The packet is larger than the maximum packet size in force. Reason 0x95. */
export const ERR_TOO_LARGE: i32 = -40;
/** More properties, topic filters or other list items than this build has slots for. Reason 0x97. */
export const ERR_LIST_FULL: i32 = -41;
/** The target window is too small for what is being encoded. Our own mistake, never the peer's. */
export const ERR_TARGET_SPACE: i32 = -42;

/** A publish found the outbox (or its store) full under the keep-all policy. Reason 0x97. */
export const ERR_QUEUE_FULL: i32 = -43;

// ---- state --------------------------------------------------------------------------------
/** The request names something that is not there (e.g. unsubscribing a filter never subscribed). */
export const ERR_NOT_FOUND: i32 = -60;
/** The properties given are not allowed from a client in this packet (MQTT-3.3.4-6, MQTT-3.3.2-7). */
export const ERR_PROPERTY_NOT_ALLOWED: i32 = -61;

// ---- platform ---------------------------------------------------------------------------------
/** A flash address or length outside the device, or not aligned to its write granularity. */
export const ERR_FLASH_RANGE: i32 = -80;
/** Programming would turn a 0 bit back into 1, which only an erase can do (NOR flash). */
export const ERR_FLASH_BITS: i32 = -81;
/** The flash lost power mid-operation (the memory flash's power-cut injection); nothing more is written. */
export const ERR_FLASH_POWER: i32 = -82;
/** The flash device or file failed (an I/O error on the host). */
export const ERR_FLASH_IO: i32 = -83;

/** The MQTT 5 reason code (§2.4) to send in a DISCONNECT or CONNACK closing for `error`. */
export function errorReasonCode(error: i32): i32 {
  if (error >= ERR_DUP_QOS0 && error <= ERR_VARINT) return 0x81; // Malformed Packet
  if (error >= ERR_TOPIC_EMPTY && error <= ERR_PACKET_ID) return 0x82; // Protocol Error
  if (error == ERR_TOPIC_NAME) return 0x90;
  if (error == ERR_TOPIC_FILTER) return 0x8f;
  if (error == ERR_PROTOCOL_VERSION || error == ERR_PROTOCOL_NAME) return 0x84;
  if (error == ERR_TOO_LARGE) return 0x95;
  if (error == ERR_LIST_FULL || error == ERR_QUEUE_FULL) return 0x97;
  return 0x80; // Unspecified error
}
