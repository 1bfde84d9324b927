/**
 * PUBLISH (MQTT 3.1.1 §3.3, 5.0 §3.3). The fixed-header flags carry DUP, QoS and RETAIN; the
 * packet identifier exists only for QoS 1 and 2; the payload is whatever the Remaining Length
 * leaves after the variable header, possibly nothing. The topic may be empty only in 5.0 and
 * only with a Topic Alias, which the session (not the codec) resolves.
 */
import {
  ERR_DUP_QOS0, ERR_PACKET_ID, ERR_QOS, ERR_TOPIC_EMPTY, ERR_TOPIC_NAME, ERR_UTF8,
} from "../core/errors";
import { Span } from "../core/bytes";
import { MQTT_3_1_1, MQTT_5, PUBLISH, TOPIC_ALIAS } from "./constants";
import { PropertiesRepr, propertiesDecode, propertiesEncode, propertiesEncodeLength } from "./properties";
import { frameBegin, frameEncodeBegin, frameEnd, frameHeader, frameReader, frameWriter, packetLength } from "./header";
import { topicNameValid } from "./topic";
import { utf8Valid } from "./utf8";

const FLAG_RETAIN: i32 = 0x01;
const FLAG_QOS_SHIFT: i32 = 1;
const FLAG_DUP: i32 = 0x08;

export class PublishRepr {
  version: i32 = MQTT_3_1_1;
  dup: bool = false;
  qos: i32 = 0;
  retain: bool = false;
  readonly topic: Span = new Span();
  /** 0 for QoS 0; 1–65535 otherwise. */
  packetId: i32 = 0;
  readonly payload: Span = new Span();
  readonly properties: PropertiesRepr;

  /** `properties` may be shared with other Reprs that are never filled at the same time. */
  constructor(properties: PropertiesRepr) {
    this.properties = properties;
  }
}

export function publishDecode(source: Uint8Array, offset: i32, length: i32, target: PublishRepr, version: i32): i32 {
  const total = frameBegin(source, offset, length, PUBLISH);
  if (total <= 0) return total;
  const reader = frameReader;
  const flags = frameHeader.flags;
  target.version = version;
  target.dup = (flags & FLAG_DUP) != 0;
  target.qos = (flags >> FLAG_QOS_SHIFT) & 3;
  target.retain = (flags & FLAG_RETAIN) != 0;
  if (target.qos == 3) return ERR_QOS; // MQTT-3.3.1-4
  if (target.dup && target.qos == 0) return ERR_DUP_QOS0; // MQTT-3.3.1-2
  const topic = target.topic;
  reader.lengthPrefixed(topic);
  target.packetId = target.qos > 0 ? reader.u16() : 0;
  if (reader.error != 0) return reader.error;
  if (!utf8Valid(topic.buffer, topic.offset, topic.length)) return ERR_UTF8;
  if (!topicNameValid(topic)) return ERR_TOPIC_NAME; // MQTT-3.3.2-2
  if (target.qos > 0 && target.packetId == 0) return ERR_PACKET_ID; // MQTT-2.2.1-3
  if (version == MQTT_5) {
    propertiesDecode(reader, PUBLISH, target.properties);
    if (reader.error != 0) return reader.error;
  } else {
    target.properties.clear();
  }
  if (topic.length == 0 && !target.properties.has(TOPIC_ALIAS)) return ERR_TOPIC_EMPTY; // MQTT-4.7.3-1, 5.0 §3.3.2.3.4
  reader.bytes(target.payload, reader.remaining());
  return frameEnd(total);
}

function publishRemainingLength(repr: PublishRepr): i32 {
  let length = 2 + repr.topic.length + repr.payload.length;
  if (repr.qos > 0) length += 2;
  if (repr.version == MQTT_5) length += propertiesEncodeLength(repr.properties);
  return length;
}

export function publishEncodeLength(repr: PublishRepr): i32 {
  return packetLength(publishRemainingLength(repr));
}

export function publishEncode(repr: PublishRepr, target: Uint8Array, offset: i32): i32 {
  let flags = repr.qos << FLAG_QOS_SHIFT;
  if (repr.dup) flags |= FLAG_DUP;
  if (repr.retain) flags |= FLAG_RETAIN;
  const total = frameEncodeBegin(PUBLISH, flags, publishRemainingLength(repr), target, offset);
  if (total < 0) return total;
  const writer = frameWriter;
  writer.lengthPrefixed(repr.topic);
  if (repr.qos > 0) writer.u16(repr.packetId);
  if (repr.version == MQTT_5) propertiesEncode(repr.properties, writer);
  writer.bytes(repr.payload);
  assert(writer.position == offset + total, "publishEncode: length");
  return total;
}
