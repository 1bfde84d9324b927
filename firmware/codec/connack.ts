/**
 * CONNACK (MQTT 3.1.1 §3.2, 5.0 §3.2): session present and a return / reason code, and in
 * 5.0 the server's properties (limits it imposes, assigned client id, keep alive).
 */
import { ERR_REASON_CODE, ERR_RESERVED_BITS } from "../core/errors";
import { CONNACK, MQTT_3_1_1, MQTT_5, reasonCodeValid } from "./constants";
import { PropertiesRepr, propertiesDecode, propertiesEncode, propertiesEncodeLength } from "./properties";
import { frameBegin, frameEncodeBegin, frameEnd, frameReader, frameWriter, packetLength } from "./header";

export class ConnackRepr {
  version: i32 = MQTT_3_1_1;
  sessionPresent: bool = false;
  /** Return code before 5.0 (0–5), reason code in 5.0. */
  reasonCode: i32 = 0;
  readonly properties: PropertiesRepr;

  /** `properties` may be shared with other Reprs that are never filled at the same time. */
  constructor(properties: PropertiesRepr) {
    this.properties = properties;
  }
}

export function connackDecode(source: Uint8Array, offset: i32, length: i32, target: ConnackRepr, version: i32): i32 {
  const total = frameBegin(source, offset, length, CONNACK);
  if (total <= 0) return total;
  const reader = frameReader;
  target.version = version;
  const flags = reader.u8();
  target.reasonCode = reader.u8();
  if (reader.error != 0) return reader.error;
  if ((flags & 0xfe) != 0) return ERR_RESERVED_BITS; // MQTT-3.2.2-1
  target.sessionPresent = (flags & 1) != 0;
  if (!reasonCodeValid(CONNACK, version, target.reasonCode)) return ERR_REASON_CODE;
  if (version == MQTT_5) propertiesDecode(reader, CONNACK, target.properties);
  else target.properties.clear();
  return frameEnd(total);
}

function connackRemainingLength(repr: ConnackRepr): i32 {
  return repr.version == MQTT_5 ? 2 + propertiesEncodeLength(repr.properties) : 2;
}

export function connackEncodeLength(repr: ConnackRepr): i32 {
  return packetLength(connackRemainingLength(repr));
}

export function connackEncode(repr: ConnackRepr, target: Uint8Array, offset: i32): i32 {
  const total = frameEncodeBegin(CONNACK, 0, connackRemainingLength(repr), target, offset);
  if (total < 0) return total;
  const writer = frameWriter;
  writer.u8(repr.sessionPresent ? 1 : 0);
  writer.u8(repr.reasonCode);
  if (repr.version == MQTT_5) propertiesEncode(repr.properties, writer);
  assert(writer.position == offset + total, "connackEncode: length");
  return total;
}
