/**
 * DISCONNECT (MQTT 3.1.1 §3.14, 5.0 §3.14) and AUTH (5.0 §3.15): in 5.0 both are a reason code
 * and properties, either of which may be left off. A Remaining Length of 0 means reason 0
 * (Normal disconnection / Success), 1 means a reason code with no properties; `form` keeps
 * which one the sender used, as for the publish acknowledgements (ack.ts). Before 5.0
 * DISCONNECT is empty and AUTH does not exist (packetDecode refuses type 15 there).
 */
import { ERR_REASON_CODE } from "../core/errors";
import { DISCONNECT, MQTT_3_1_1, MQTT_5, reasonCodeValid } from "./constants";
import { PropertiesRepr, propertiesDecode, propertiesEncode, propertiesEncodeLength } from "./properties";
import { frameBegin, frameEncodeBegin, frameEnd, frameHeader, frameReader, frameWriter, packetLength } from "./header";
import { FORM_FULL, FORM_REASON, FORM_SHORTEST } from "./ack";

export class DisconnectRepr {
  version: i32 = MQTT_3_1_1;
  /** DISCONNECT or AUTH. */
  type: i32 = DISCONNECT;
  reasonCode: i32 = 0;
  /** At least this form on the wire (FORM_SHORTEST, FORM_REASON, FORM_FULL); 5.0 only. */
  form: i32 = FORM_SHORTEST;
  readonly properties: PropertiesRepr;

  /** `properties` may be shared with other Reprs that are never filled at the same time. */
  constructor(properties: PropertiesRepr) {
    this.properties = properties;
  }
}

/** Decodes a DISCONNECT or AUTH (`type`); see header.ts for the return contract. */
export function disconnectDecode(source: Uint8Array, offset: i32, length: i32, target: DisconnectRepr, version: i32, type: i32): i32 {
  const total = frameBegin(source, offset, length, type);
  if (total <= 0) return total;
  const reader = frameReader;
  target.version = version;
  target.type = type;
  target.reasonCode = 0;
  target.form = FORM_SHORTEST;
  target.properties.clear();
  if (version < MQTT_5) return frameEnd(total); // any byte is ERR_LENGTH
  if (frameHeader.remainingLength >= 1) {
    target.form = frameHeader.remainingLength == 1 ? FORM_REASON : FORM_FULL;
    target.reasonCode = reader.u8();
    if (!reasonCodeValid(type, version, target.reasonCode)) return ERR_REASON_CODE;
  }
  if (frameHeader.remainingLength >= 2) propertiesDecode(reader, type, target.properties);
  return frameEnd(total);
}

function disconnectRemainingLength(repr: DisconnectRepr): i32 {
  if (repr.version < MQTT_5) return 0;
  if (repr.properties.count > 0 || repr.form == FORM_FULL) return 1 + propertiesEncodeLength(repr.properties);
  return repr.reasonCode == 0 && repr.form == FORM_SHORTEST ? 0 : 1;
}

export function disconnectEncodeLength(repr: DisconnectRepr): i32 {
  return packetLength(disconnectRemainingLength(repr));
}

export function disconnectEncode(repr: DisconnectRepr, target: Uint8Array, offset: i32): i32 {
  const remaining = disconnectRemainingLength(repr);
  const total = frameEncodeBegin(repr.type, 0, remaining, target, offset);
  if (total < 0) return total;
  const writer = frameWriter;
  if (remaining >= 1) writer.u8(repr.reasonCode);
  if (remaining >= 2) propertiesEncode(repr.properties, writer);
  assert(writer.position == offset + total, "disconnectEncode: length");
  return total;
}
