/**
 * CONNECT (MQTT 3.1 §3.1, 3.1.1 §3.1, 5.0 §3.1): the one packet that states its own protocol
 * version, so its decoder takes none. Level 3 is MQTT 3.1 with the name "MQIsdp"; 4 and 5 use
 * "MQTT". A level with bit 7 set is a Mosquitto bridge announcing itself (`try_private`), kept
 * in `bridge` and encoded back.
 */
import {
  ERR_PASSWORD_FLAG, ERR_PROTOCOL_NAME, ERR_PROTOCOL_VERSION, ERR_QOS, ERR_RESERVED_BITS,
  ERR_TOPIC_EMPTY, ERR_TOPIC_NAME, ERR_UTF8, ERR_WILL_FLAGS,
} from "../core/errors";
import { Span, lengthPrefixedSize } from "../core/bytes";
import { CONNECT, MQTT_3_1, MQTT_3_1_1, MQTT_5, WILL_PROPERTIES } from "./constants";
import { PropertiesRepr, propertiesDecode, propertiesEncode, propertiesEncodeLength } from "./properties";
import { frameBegin, frameEncodeBegin, frameEnd, frameReader, frameWriter, packetLength } from "./header";
import { topicNameValid } from "./topic";
import { utf8Valid } from "./utf8";

const FLAG_RESERVED: i32 = 0x01;
const FLAG_CLEAN_START: i32 = 0x02;
const FLAG_WILL: i32 = 0x04;
const FLAG_WILL_QOS_SHIFT: i32 = 3;
const FLAG_WILL_RETAIN: i32 = 0x20;
const FLAG_PASSWORD: i32 = 0x40;
const FLAG_USERNAME: i32 = 0x80;
/** Bit 7 of the protocol level marks a bridge (Mosquitto's `try_private`). */
const LEVEL_BRIDGE: i32 = 0x80;

/** The protocol names (MQTT-3.1.2-1); string literals are static data, so nothing allocates. */
const NAME_MQTT: string = "MQTT";
const NAME_MQISDP: string = "MQIsdp";

export class ConnectRepr {
  /** Protocol level: MQTT_3_1, MQTT_3_1_1 or MQTT_5. */
  version: i32 = MQTT_3_1_1;
  bridge: bool = false;
  /** Clean Session before 5.0, Clean Start in 5.0. */
  cleanStart: bool = true;
  /** Seconds; 0 turns keepalive off. */
  keepAlive: i32 = 0;
  readonly clientId: Span = new Span();
  willFlag: bool = false;
  willQos: i32 = 0;
  willRetain: bool = false;
  readonly willTopic: Span = new Span();
  readonly willPayload: Span = new Span();
  readonly willProperties: PropertiesRepr;
  usernameFlag: bool = false;
  readonly username: Span = new Span();
  passwordFlag: bool = false;
  readonly password: Span = new Span();
  readonly properties: PropertiesRepr;

  /** `properties` may be shared with other Reprs that are never filled at the same time. */
  constructor(properties: PropertiesRepr, willProperties: PropertiesRepr) {
    this.properties = properties;
    this.willProperties = willProperties;
  }
}

/** The protocol name for `version`. */
function protocolName(version: i32): string {
  return version == MQTT_3_1 ? NAME_MQISDP : NAME_MQTT;
}

function nameIs(span: Span, name: string): bool {
  if (span.length != name.length) return false;
  for (let i = 0; i < name.length; i++) {
    if (span.at(i) != name.charCodeAt(i)) return false;
  }
  return true;
}

/** Decodes a CONNECT at `source[offset ..)`; see header.ts for the return contract. */
export function connectDecode(source: Uint8Array, offset: i32, length: i32, target: ConnectRepr): i32 {
  const total = frameBegin(source, offset, length, CONNECT);
  if (total <= 0) return total;
  const reader = frameReader;
  const name = target.clientId; // scratch until the client id is read
  reader.lengthPrefixed(name);
  const levelByte = reader.u8();
  if (reader.error != 0) return reader.error;
  const level = levelByte & ~LEVEL_BRIDGE;
  if (nameIs(name, NAME_MQTT)) {
    if (level != MQTT_3_1_1 && level != MQTT_5) return ERR_PROTOCOL_VERSION;
  } else if (nameIs(name, NAME_MQISDP)) {
    if (level != MQTT_3_1) return ERR_PROTOCOL_VERSION;
  } else {
    return ERR_PROTOCOL_NAME;
  }
  target.version = level;
  target.bridge = (levelByte & LEVEL_BRIDGE) != 0;

  const flags = reader.u8();
  target.keepAlive = reader.u16();
  if (reader.error != 0) return reader.error;
  if ((flags & FLAG_RESERVED) != 0) return ERR_RESERVED_BITS; // MQTT-3.1.2-3
  target.cleanStart = (flags & FLAG_CLEAN_START) != 0;
  target.willFlag = (flags & FLAG_WILL) != 0;
  target.willQos = (flags >> FLAG_WILL_QOS_SHIFT) & 3;
  target.willRetain = (flags & FLAG_WILL_RETAIN) != 0;
  target.passwordFlag = (flags & FLAG_PASSWORD) != 0;
  target.usernameFlag = (flags & FLAG_USERNAME) != 0;
  if (target.willQos == 3) return ERR_QOS; // MQTT-3.1.2-14
  if (!target.willFlag && (target.willQos != 0 || target.willRetain)) return ERR_WILL_FLAGS; // MQTT-3.1.2-13, -15
  if (level < MQTT_5 && target.passwordFlag && !target.usernameFlag) return ERR_PASSWORD_FLAG; // 3.1.1 MQTT-3.1.2-22

  if (level == MQTT_5) propertiesDecode(reader, CONNECT, target.properties);
  else target.properties.clear();
  reader.lengthPrefixed(target.clientId);
  if (reader.error != 0) return reader.error;
  if (!utf8Valid(target.clientId.buffer, target.clientId.offset, target.clientId.length)) return ERR_UTF8;

  target.willProperties.clear();
  target.willTopic.clear();
  target.willPayload.clear();
  if (target.willFlag) {
    if (level == MQTT_5) propertiesDecode(reader, WILL_PROPERTIES, target.willProperties);
    reader.lengthPrefixed(target.willTopic);
    reader.lengthPrefixed(target.willPayload);
    if (reader.error != 0) return reader.error;
    const topic = target.willTopic;
    if (!utf8Valid(topic.buffer, topic.offset, topic.length)) return ERR_UTF8;
    if (topic.length == 0) return ERR_TOPIC_EMPTY; // MQTT-4.7.3-1
    if (!topicNameValid(topic)) return ERR_TOPIC_NAME;
  }
  target.username.clear();
  target.password.clear();
  if (target.usernameFlag) {
    reader.lengthPrefixed(target.username);
    if (reader.error != 0) return reader.error;
    if (!utf8Valid(target.username.buffer, target.username.offset, target.username.length)) return ERR_UTF8;
  }
  if (target.passwordFlag) reader.lengthPrefixed(target.password);
  return frameEnd(total);
}

function connectRemainingLength(repr: ConnectRepr): i32 {
  let length = 2 + protocolName(repr.version).length + 1 + 1 + 2;
  if (repr.version == MQTT_5) length += propertiesEncodeLength(repr.properties);
  length += lengthPrefixedSize(repr.clientId);
  if (repr.willFlag) {
    if (repr.version == MQTT_5) length += propertiesEncodeLength(repr.willProperties);
    length += lengthPrefixedSize(repr.willTopic) + lengthPrefixedSize(repr.willPayload);
  }
  if (repr.usernameFlag) length += lengthPrefixedSize(repr.username);
  if (repr.passwordFlag) length += lengthPrefixedSize(repr.password);
  return length;
}

export function connectEncodeLength(repr: ConnectRepr): i32 {
  return packetLength(connectRemainingLength(repr));
}

/** Encodes `repr` at `target[offset ..)`. Returns bytes written or ERR_TARGET_SPACE. */
export function connectEncode(repr: ConnectRepr, target: Uint8Array, offset: i32): i32 {
  const total = frameEncodeBegin(CONNECT, 0, connectRemainingLength(repr), target, offset);
  if (total < 0) return total;
  const writer = frameWriter;
  const name = protocolName(repr.version);
  writer.u16(name.length);
  for (let i = 0; i < name.length; i++) writer.u8(name.charCodeAt(i));
  writer.u8(repr.bridge ? repr.version | LEVEL_BRIDGE : repr.version);
  let flags: i32 = 0;
  if (repr.cleanStart) flags |= FLAG_CLEAN_START;
  if (repr.willFlag) flags |= FLAG_WILL | (repr.willQos << FLAG_WILL_QOS_SHIFT);
  if (repr.willFlag && repr.willRetain) flags |= FLAG_WILL_RETAIN;
  if (repr.passwordFlag) flags |= FLAG_PASSWORD;
  if (repr.usernameFlag) flags |= FLAG_USERNAME;
  writer.u8(flags);
  writer.u16(repr.keepAlive);
  if (repr.version == MQTT_5) propertiesEncode(repr.properties, writer);
  writer.lengthPrefixed(repr.clientId);
  if (repr.willFlag) {
    if (repr.version == MQTT_5) propertiesEncode(repr.willProperties, writer);
    writer.lengthPrefixed(repr.willTopic);
    writer.lengthPrefixed(repr.willPayload);
  }
  if (repr.usernameFlag) writer.lengthPrefixed(repr.username);
  if (repr.passwordFlag) writer.lengthPrefixed(repr.password);
  assert(writer.position == offset + total, "connectEncode: length");
  return total;
}
