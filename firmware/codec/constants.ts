/**
 * The numbers of the MQTT wire format: packet types, protocol levels, MQTT 5 property
 * identifiers with their data types and the packets that may carry them (MQTT 5 §2.2.2.2),
 * and the reason codes each packet may carry (MQTT 5 §2.4).
 */

// ---- protocol levels (MQTT-3.1.2-2) ----------------------------------------------------------
/** MQTT 3.1, protocol name "MQIsdp". */
export const MQTT_3_1: i32 = 3;
/** MQTT 3.1.1, protocol name "MQTT". */
export const MQTT_3_1_1: i32 = 4;
/** MQTT 5.0, protocol name "MQTT". */
export const MQTT_5: i32 = 5;

// ---- control packet types (MQTT 5 §2.1.2) ----------------------------------------------------
export const CONNECT: i32 = 1;
export const CONNACK: i32 = 2;
export const PUBLISH: i32 = 3;
export const PUBACK: i32 = 4;
export const PUBREC: i32 = 5;
export const PUBREL: i32 = 6;
export const PUBCOMP: i32 = 7;
export const SUBSCRIBE: i32 = 8;
export const SUBACK: i32 = 9;
export const UNSUBSCRIBE: i32 = 10;
export const UNSUBACK: i32 = 11;
export const PINGREQ: i32 = 12;
export const PINGRESP: i32 = 13;
export const DISCONNECT: i32 = 14;
export const AUTH: i32 = 15;
/** Not a packet type: the property set of a will in CONNECT, for the allowed-property table. */
export const WILL_PROPERTIES: i32 = 0;

// ---- property identifiers (MQTT 5 §2.2.2.2) ------------------------------------------------
export const PAYLOAD_FORMAT_INDICATOR: i32 = 0x01;
export const MESSAGE_EXPIRY_INTERVAL: i32 = 0x02;
export const CONTENT_TYPE: i32 = 0x03;
export const RESPONSE_TOPIC: i32 = 0x08;
export const CORRELATION_DATA: i32 = 0x09;
export const SUBSCRIPTION_IDENTIFIER: i32 = 0x0b;
export const SESSION_EXPIRY_INTERVAL: i32 = 0x11;
export const ASSIGNED_CLIENT_IDENTIFIER: i32 = 0x12;
export const SERVER_KEEP_ALIVE: i32 = 0x13;
export const AUTHENTICATION_METHOD: i32 = 0x15;
export const AUTHENTICATION_DATA: i32 = 0x16;
export const REQUEST_PROBLEM_INFORMATION: i32 = 0x17;
export const WILL_DELAY_INTERVAL: i32 = 0x18;
export const REQUEST_RESPONSE_INFORMATION: i32 = 0x19;
export const RESPONSE_INFORMATION: i32 = 0x1a;
export const SERVER_REFERENCE: i32 = 0x1c;
export const REASON_STRING: i32 = 0x1f;
export const RECEIVE_MAXIMUM: i32 = 0x21;
export const TOPIC_ALIAS_MAXIMUM: i32 = 0x22;
export const TOPIC_ALIAS: i32 = 0x23;
export const MAXIMUM_QOS: i32 = 0x24;
export const RETAIN_AVAILABLE: i32 = 0x25;
export const USER_PROPERTY: i32 = 0x26;
export const MAXIMUM_PACKET_SIZE: i32 = 0x27;
export const WILDCARD_SUBSCRIPTION_AVAILABLE: i32 = 0x28;
export const SUBSCRIPTION_IDENTIFIER_AVAILABLE: i32 = 0x29;
export const SHARED_SUBSCRIPTION_AVAILABLE: i32 = 0x2a;
/** One past the largest property identifier. Sizes per-identifier lookup tables. */
export const PROPERTY_ID_LIMIT: i32 = 0x2b;

// ---- property data types (MQTT 5 §1.5) -------------------------------------------------------
export const TYPE_NONE: i32 = 0;
export const TYPE_BYTE: i32 = 1;
export const TYPE_U16: i32 = 2;
export const TYPE_U32: i32 = 3;
export const TYPE_VARINT: i32 = 4;
export const TYPE_UTF8: i32 = 5;
export const TYPE_BINARY: i32 = 6;
export const TYPE_PAIR: i32 = 7;

/** The data type of property `id`, or TYPE_NONE when no such property exists. */
export function propertyType(id: i32): i32 {
  switch (id) {
    case PAYLOAD_FORMAT_INDICATOR:
    case REQUEST_PROBLEM_INFORMATION:
    case REQUEST_RESPONSE_INFORMATION:
    case MAXIMUM_QOS:
    case RETAIN_AVAILABLE:
    case WILDCARD_SUBSCRIPTION_AVAILABLE:
    case SUBSCRIPTION_IDENTIFIER_AVAILABLE:
    case SHARED_SUBSCRIPTION_AVAILABLE:
      return TYPE_BYTE;
    case SERVER_KEEP_ALIVE:
    case RECEIVE_MAXIMUM:
    case TOPIC_ALIAS_MAXIMUM:
    case TOPIC_ALIAS:
      return TYPE_U16;
    case MESSAGE_EXPIRY_INTERVAL:
    case SESSION_EXPIRY_INTERVAL:
    case WILL_DELAY_INTERVAL:
    case MAXIMUM_PACKET_SIZE:
      return TYPE_U32;
    case SUBSCRIPTION_IDENTIFIER:
      return TYPE_VARINT;
    case CONTENT_TYPE:
    case RESPONSE_TOPIC:
    case ASSIGNED_CLIENT_IDENTIFIER:
    case AUTHENTICATION_METHOD:
    case RESPONSE_INFORMATION:
    case SERVER_REFERENCE:
    case REASON_STRING:
      return TYPE_UTF8;
    case CORRELATION_DATA:
    case AUTHENTICATION_DATA:
      return TYPE_BINARY;
    case USER_PROPERTY:
      return TYPE_PAIR;
  }
  return TYPE_NONE;
}

const P_WILL: i32 = 1 << WILL_PROPERTIES;
const P_CONNECT: i32 = 1 << CONNECT;
const P_CONNACK: i32 = 1 << CONNACK;
const P_PUBLISH: i32 = 1 << PUBLISH;
const P_ACKS: i32 = (1 << PUBACK) | (1 << PUBREC) | (1 << PUBREL) | (1 << PUBCOMP);
const P_SUBSCRIBE: i32 = 1 << SUBSCRIBE;
const P_SUBACK: i32 = 1 << SUBACK;
const P_UNSUBSCRIBE: i32 = 1 << UNSUBSCRIBE;
const P_UNSUBACK: i32 = 1 << UNSUBACK;
const P_DISCONNECT: i32 = 1 << DISCONNECT;
const P_AUTH: i32 = 1 << AUTH;

/** Bit set of the packet types (bit = type, bit 0 = will) that may carry property `id`. */
export function propertyPackets(id: i32): i32 {
  switch (id) {
    case PAYLOAD_FORMAT_INDICATOR:
    case MESSAGE_EXPIRY_INTERVAL:
    case CONTENT_TYPE:
    case RESPONSE_TOPIC:
    case CORRELATION_DATA:
      return P_PUBLISH | P_WILL;
    case SUBSCRIPTION_IDENTIFIER:
      return P_PUBLISH | P_SUBSCRIBE;
    case SESSION_EXPIRY_INTERVAL:
      return P_CONNECT | P_CONNACK | P_DISCONNECT;
    case ASSIGNED_CLIENT_IDENTIFIER:
    case SERVER_KEEP_ALIVE:
    case RESPONSE_INFORMATION:
    case MAXIMUM_QOS:
    case RETAIN_AVAILABLE:
    case WILDCARD_SUBSCRIPTION_AVAILABLE:
    case SUBSCRIPTION_IDENTIFIER_AVAILABLE:
    case SHARED_SUBSCRIPTION_AVAILABLE:
      return P_CONNACK;
    case AUTHENTICATION_METHOD:
    case AUTHENTICATION_DATA:
      return P_CONNECT | P_CONNACK | P_AUTH;
    case REQUEST_PROBLEM_INFORMATION:
    case REQUEST_RESPONSE_INFORMATION:
      return P_CONNECT;
    case WILL_DELAY_INTERVAL:
      return P_WILL;
    case SERVER_REFERENCE:
      return P_CONNACK | P_DISCONNECT;
    case REASON_STRING:
      return P_CONNACK | P_ACKS | P_SUBACK | P_UNSUBACK | P_DISCONNECT | P_AUTH;
    case RECEIVE_MAXIMUM:
    case TOPIC_ALIAS_MAXIMUM:
    case MAXIMUM_PACKET_SIZE:
      return P_CONNECT | P_CONNACK;
    case TOPIC_ALIAS:
      return P_PUBLISH;
    case USER_PROPERTY:
      return P_WILL | P_CONNECT | P_CONNACK | P_PUBLISH | P_ACKS | P_SUBSCRIBE | P_SUBACK | P_UNSUBSCRIBE | P_UNSUBACK | P_DISCONNECT | P_AUTH;
  }
  return 0;
}

/** True when property `id` may appear more than once in packet `packetType` (MQTT 5 §3.3.2.3.8). */
export function propertyRepeatable(id: i32, packetType: i32): bool {
  return id == USER_PROPERTY || (id == SUBSCRIPTION_IDENTIFIER && packetType == PUBLISH);
}

// ---- reason codes (MQTT 5 §2.4) --------------------------------------------------------------

/**
 * True when `code` may appear in a packet of `packetType` at protocol `version`. Before MQTT 5
 * only CONNACK (return codes 0–5) and SUBACK (0, 1, 2 and 0x80) carry codes.
 */
export function reasonCodeValid(packetType: i32, version: i32, code: i32): bool {
  if (version < MQTT_5) {
    if (packetType == CONNACK) return code >= 0 && code <= 5;
    if (packetType == SUBACK) return code <= 2 || code == 0x80;
    return code == 0;
  }
  switch (packetType) {
    case CONNACK:
      return code == 0x00 || (code >= 0x80 && code <= 0x8a) || code == 0x8c || code == 0x90 ||
        code == 0x95 || code == 0x97 || (code >= 0x99 && code <= 0x9d) || code == 0x9f;
    case PUBACK:
    case PUBREC:
      return code == 0x00 || code == 0x10 || code == 0x80 || code == 0x83 || code == 0x87 ||
        code == 0x90 || code == 0x91 || code == 0x97 || code == 0x99;
    case PUBREL:
    case PUBCOMP:
      return code == 0x00 || code == 0x92;
    case SUBACK:
      return code <= 0x02 || code == 0x80 || code == 0x83 || code == 0x87 || code == 0x8f ||
        code == 0x91 || code == 0x97 || code == 0x9e || code == 0xa1 || code == 0xa2;
    case UNSUBACK:
      return code == 0x00 || code == 0x11 || code == 0x80 || code == 0x83 || code == 0x87 ||
        code == 0x8f || code == 0x91;
    case DISCONNECT:
      if (code == 0x8c) return false; // Bad authentication method ends a CONNECT, not a session
      return code == 0x00 || code == 0x04 || (code >= 0x80 && code <= 0x83) || code == 0x87 ||
        code == 0x89 || (code >= 0x8b && code <= 0x90) || (code >= 0x93 && code <= 0xa2);
    case AUTH:
      return code == 0x00 || code == 0x18 || code == 0x19;
  }
  return false;
}
