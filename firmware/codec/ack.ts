/**
 * PUBACK, PUBREC, PUBREL and PUBCOMP (MQTT 5 §3.4–3.7): a packet identifier and, in 5.0, a
 * reason code and properties that may be left off. A Remaining Length of 2 means Success with
 * no properties, 3 means a reason code with no properties (MQTT 5 §3.4.2.1). `form` remembers
 * which of the three the sender used, so a decoded packet re-encodes to the same bytes (MQTT.js
 * always writes the longest); a Repr built by us leaves it at FORM_SHORTEST.
 */
import { ERR_PACKET_ID, ERR_REASON_CODE } from "../core/errors";
import { MQTT_3_1_1, MQTT_5, PUBACK, reasonCodeValid } from "./constants";
import { PropertiesRepr, propertiesDecode, propertiesEncode, propertiesEncodeLength } from "./properties";
import { fixedHeaderFlags, frameBegin, frameEncodeBegin, frameEnd, frameHeader, frameReader, frameWriter, packetLength } from "./header";

/** The shortest form the content allows. */
export const FORM_SHORTEST: i32 = 0;
/** The reason code is written even when it is 0. */
export const FORM_REASON: i32 = 1;
/** The reason code and the property length are written even when 0. */
export const FORM_FULL: i32 = 2;

export class AckRepr {
  version: i32 = MQTT_3_1_1;
  /** PUBACK, PUBREC, PUBREL or PUBCOMP. */
  type: i32 = PUBACK;
  packetId: i32 = 0;
  reasonCode: i32 = 0;
  /** At least this form on the wire (FORM_SHORTEST, FORM_REASON, FORM_FULL); 5.0 only. */
  form: i32 = FORM_SHORTEST;
  readonly properties: PropertiesRepr;

  /** `properties` may be shared with other Reprs that are never filled at the same time. */
  constructor(properties: PropertiesRepr) {
    this.properties = properties;
  }
}

/** Decodes a packet of `type` (PUBACK … PUBCOMP); see header.ts for the return contract. */
export function ackDecode(source: Uint8Array, offset: i32, length: i32, target: AckRepr, version: i32, type: i32): i32 {
  const total = frameBegin(source, offset, length, type);
  if (total <= 0) return total;
  const reader = frameReader;
  target.version = version;
  target.type = type;
  target.packetId = reader.u16();
  if (reader.error != 0) return reader.error;
  if (target.packetId == 0) return ERR_PACKET_ID; // MQTT-2.2.1-3
  target.reasonCode = 0;
  target.form = FORM_SHORTEST;
  target.properties.clear();
  if (version < MQTT_5) return frameEnd(total); // bytes after the id are ERR_LENGTH
  if (frameHeader.remainingLength >= 3) {
    target.form = frameHeader.remainingLength == 3 ? FORM_REASON : FORM_FULL;
    target.reasonCode = reader.u8();
    if (!reasonCodeValid(type, version, target.reasonCode)) return ERR_REASON_CODE;
  }
  if (frameHeader.remainingLength >= 4) propertiesDecode(reader, type, target.properties);
  return frameEnd(total);
}

function ackRemainingLength(repr: AckRepr): i32 {
  if (repr.version < MQTT_5) return 2;
  if (repr.properties.count > 0 || repr.form == FORM_FULL) return 3 + propertiesEncodeLength(repr.properties);
  return repr.reasonCode == 0 && repr.form == FORM_SHORTEST ? 2 : 3;
}

export function ackEncodeLength(repr: AckRepr): i32 {
  return packetLength(ackRemainingLength(repr));
}

export function ackEncode(repr: AckRepr, target: Uint8Array, offset: i32): i32 {
  const remaining = ackRemainingLength(repr);
  const total = frameEncodeBegin(repr.type, fixedHeaderFlags(repr.type), remaining, target, offset);
  if (total < 0) return total;
  const writer = frameWriter;
  writer.u16(repr.packetId);
  if (remaining >= 3) writer.u8(repr.reasonCode);
  if (remaining >= 4) propertiesEncode(repr.properties, writer);
  assert(writer.position == offset + total, "ackEncode: length");
  return total;
}
