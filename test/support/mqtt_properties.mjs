// MQTT 5 PUBLISH property lists in wire form (MQTT 5 §2.2.2: a Variable Byte Integer length,
// then identifier / value pairs), as the client host takes them (`publish(…, { properties })`)
// and hands them back (the `properties` of a "message" event). Written independently of the
// firmware's codec so the interop tests do not check our client with our own decoder.
//
// Objects use MQTT.js's names. `userProperties` is a list of [name, value] pairs in wire order
// (repeats kept); an unknown identifier, a truncated value or a short list throws.

/** PUBLISH properties (MQTT 5 §3.3.2.3) by identifier: name and value type. */
const PUBLISH_PROPERTIES = new Map([
  [0x01, ["payloadFormatIndicator", "byte"]],
  [0x02, ["messageExpiryInterval", "u32"]],
  [0x03, ["contentType", "string"]],
  [0x08, ["responseTopic", "string"]],
  [0x09, ["correlationData", "binary"]],
  [0x0b, ["subscriptionIdentifier", "varint"]],
  [0x23, ["topicAlias", "u16"]],
  [0x26, ["userProperties", "pair"]],
]);
const IDENTIFIERS = new Map([...PUBLISH_PROPERTIES].map(([id, [name]]) => [name, id]));

/** Variable Byte Integer (MQTT 5 §1.5.5): 7 bits a byte, low first, high bit = more. */
function varintEncode(value) {
  const bytes = [];
  do {
    let byte = value % 128;
    value = Math.floor(value / 128);
    if (value > 0) byte |= 0x80;
    bytes.push(byte);
  } while (value > 0);
  return Buffer.from(bytes);
}

/** Returns [value, bytes used]; throws past 4 bytes or the end of `source`. */
function varintDecode(source, offset) {
  let value = 0;
  for (let i = 0; i < 4; i++) {
    if (offset + i >= source.length) throw new Error("properties: varint runs past the end");
    const byte = source[offset + i];
    value += (byte & 0x7f) * 128 ** i;
    if ((byte & 0x80) === 0) return [value, i + 1];
  }
  throw new Error("properties: varint longer than 4 bytes");
}

const stringEncode = (text) => {
  const bytes = Buffer.isBuffer(text) ? text : Buffer.from(text, "utf8");
  const length = Buffer.alloc(2);
  length.writeUInt16BE(bytes.length);
  return Buffer.concat([length, bytes]);
};

/** `properties` (MQTT.js names) -> the wire-form list, its length first. */
export function propertiesEncode(properties) {
  const parts = [];
  for (const [name, value] of Object.entries(properties)) {
    const id = IDENTIFIERS.get(name);
    if (id === undefined) throw new Error(`properties: ${name} is not a PUBLISH property`);
    const type = PUBLISH_PROPERTIES.get(id)[1];
    const values = type === "pair" ? value : [value];
    for (const one of values) {
      parts.push(Buffer.from([id]));
      if (type === "byte") parts.push(Buffer.from([one]));
      else if (type === "u16") parts.push(Buffer.from([one >> 8, one & 0xff]));
      else if (type === "u32") { const bytes = Buffer.alloc(4); bytes.writeUInt32BE(one); parts.push(bytes); }
      else if (type === "varint") parts.push(varintEncode(one));
      else if (type === "pair") parts.push(stringEncode(one[0]), stringEncode(one[1]));
      else parts.push(stringEncode(one)); // string, binary
    }
  }
  const body = Buffer.concat(parts);
  return Buffer.concat([varintEncode(body.length), body]);
}

/** The wire-form list (length first) -> an object with MQTT.js names; binary values are Buffers. */
export function propertiesDecode(source) {
  const [length, used] = varintDecode(source, 0);
  const end = used + length;
  if (end !== source.length) throw new Error(`properties: length ${length} but ${source.length - used} bytes follow`);
  const result = {};
  let offset = used;
  const take = (count) => {
    if (offset + count > end) throw new Error("properties: value runs past the end");
    const bytes = source.subarray(offset, offset + count);
    offset += count;
    return bytes;
  };
  const takeString = () => take(take(2).readUInt16BE(0));
  while (offset < end) {
    const id = source[offset++];
    const known = PUBLISH_PROPERTIES.get(id);
    if (!known) throw new Error(`properties: identifier 0x${id.toString(16)} is not a PUBLISH property`);
    const [name, type] = known;
    if (type === "byte") result[name] = take(1)[0];
    else if (type === "u16") result[name] = take(2).readUInt16BE(0);
    else if (type === "u32") result[name] = take(4).readUInt32BE(0);
    else if (type === "varint") {
      const [value, size] = varintDecode(source, offset);
      take(size);
      (result[name] ??= []).push(value);
    } else if (type === "pair") (result[name] ??= []).push([takeString().toString("utf8"), takeString().toString("utf8")]);
    else if (type === "string") result[name] = takeString().toString("utf8");
    else result[name] = Buffer.from(takeString());
  }
  return result;
}
