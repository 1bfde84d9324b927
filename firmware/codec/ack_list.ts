/**
 * SUBACK and UNSUBACK (MQTT 5 §3.9, §3.11): a packet identifier, properties in 5.0, and one
 * reason code per filter of the request. Before 5.0 UNSUBACK is the identifier alone. The
 * codes stay where they arrived (`reasonCodes` is a span of single bytes), so a list has no
 * length limit of its own.
 */
import { ERR_EMPTY_LIST, ERR_PACKET_ID, ERR_REASON_CODE } from "../core/errors";
import { Span } from "../core/bytes";
import { MQTT_3_1_1, MQTT_5, SUBACK, UNSUBACK, reasonCodeValid } from "./constants";
import { PropertiesRepr, propertiesDecode, propertiesEncode, propertiesEncodeLength } from "./properties";
import { frameBegin, frameEncodeBegin, frameEnd, frameReader, frameWriter, packetLength } from "./header";

export class AckListRepr {
  version: i32 = MQTT_3_1_1;
  /** SUBACK or UNSUBACK. */
  type: i32 = SUBACK;
  packetId: i32 = 0;
  /** One byte per filter, in request order; empty for a 3.x UNSUBACK. */
  readonly reasonCodes: Span = new Span();
  readonly properties: PropertiesRepr;

  /** `properties` may be shared with other Reprs that are never filled at the same time. */
  constructor(properties: PropertiesRepr) {
    this.properties = properties;
  }
}

/** True when this packet type and version carry a list of codes. */
function hasCodes(type: i32, version: i32): bool {
  return type == SUBACK || version == MQTT_5;
}

/** Decodes a SUBACK or UNSUBACK (`type`); see header.ts for the return contract. */
export function ackListDecode(source: Uint8Array, offset: i32, length: i32, target: AckListRepr, version: i32, type: i32): i32 {
  const total = frameBegin(source, offset, length, type);
  if (total <= 0) return total;
  const reader = frameReader;
  target.version = version;
  target.type = type;
  target.packetId = reader.u16();
  if (reader.error != 0) return reader.error;
  if (target.packetId == 0) return ERR_PACKET_ID; // MQTT-2.2.1-3
  if (version == MQTT_5) propertiesDecode(reader, type, target.properties);
  else target.properties.clear();
  if (reader.error != 0) return reader.error;
  target.reasonCodes.clear();
  if (!hasCodes(type, version)) return frameEnd(total);
  if (reader.remaining() == 0) return ERR_EMPTY_LIST; // one code per filter, and a request has >= 1
  reader.bytes(target.reasonCodes, reader.remaining());
  for (let i = 0; i < target.reasonCodes.length; i++) {
    if (!reasonCodeValid(type, version, target.reasonCodes.at(i))) return ERR_REASON_CODE;
  }
  return frameEnd(total);
}

function ackListRemainingLength(repr: AckListRepr): i32 {
  let length = 2;
  if (repr.version == MQTT_5) length += propertiesEncodeLength(repr.properties);
  if (hasCodes(repr.type, repr.version)) length += repr.reasonCodes.length;
  return length;
}

export function ackListEncodeLength(repr: AckListRepr): i32 {
  return packetLength(ackListRemainingLength(repr));
}

export function ackListEncode(repr: AckListRepr, target: Uint8Array, offset: i32): i32 {
  const total = frameEncodeBegin(repr.type, 0, ackListRemainingLength(repr), target, offset);
  if (total < 0) return total;
  const writer = frameWriter;
  writer.u16(repr.packetId);
  if (repr.version == MQTT_5) propertiesEncode(repr.properties, writer);
  if (hasCodes(repr.type, repr.version)) writer.bytes(repr.reasonCodes);
  assert(writer.position == offset + total, "ackListEncode: length");
  return total;
}
