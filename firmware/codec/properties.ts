/**
 * MQTT 5 properties (MQTT 5 §2.2.2): a length-prefixed list of (identifier, value) entries.
 *
 * `PropertiesRepr` keeps the entries in wire order, so a packet decoded and encoded again gives
 * the same bytes, and an index from identifier to entry so a lookup costs one array read.
 * Decoding refuses, in this order: an identifier that does not exist or is not allowed in the
 * packet (Malformed, §2.2.2.2), a value of the wrong shape (Malformed), a repeated identifier
 * that may appear only once (Protocol Error), and a value the spec forbids such as a Receive
 * Maximum of 0 (Protocol Error). Entries point into the decoded packet; nothing is copied.
 */
import { ERR_LENGTH, ERR_LIST_FULL, ERR_PROPERTY_DUPLICATE, ERR_PROPERTY_INVALID, ERR_PROPERTY_VALUE, ERR_TOPIC_NAME, ERR_UTF8 } from "../core/errors";
import { Reader, Span, Writer, varintSize } from "../core/bytes";
import {
  MAXIMUM_PACKET_SIZE, PROPERTY_ID_LIMIT, RECEIVE_MAXIMUM, RESPONSE_TOPIC,
  SUBSCRIPTION_IDENTIFIER, TOPIC_ALIAS, TYPE_BINARY, TYPE_BYTE, TYPE_NONE, TYPE_PAIR, TYPE_U16,
  TYPE_U32, TYPE_UTF8, TYPE_VARINT, USER_PROPERTY, propertyPackets, propertyRepeatable, propertyType,
} from "./constants";
import { utf8Valid } from "./utf8";
import { topicNameValid } from "./topic";

/** Index value meaning "this identifier is not present". */
const ABSENT: i32 = 0xff;

/** The properties of one packet, or of a will, in wire order. */
export class PropertiesRepr {
  /** Entries in use. */
  count: i32 = 0;
  /** Identifier of each entry. */
  readonly ids: Int32Array;
  /** Value of byte, two-byte, four-byte and varint entries (a u32 keeps its bits). */
  readonly numbers: Int32Array;
  /** Value of string and binary entries; the name of a user property. */
  readonly spans: Array<Span>;
  /** The value of a user property. */
  readonly pairValues: Array<Span>;
  /** First entry of each identifier, or ABSENT. */
  readonly firstEntry: Uint8Array;

  constructor(capacity: i32) {
    assert(capacity > 0 && capacity < ABSENT, "PropertiesRepr: capacity");
    const spans = new Array<Span>(0);
    const pairValues = new Array<Span>(0);
    for (let i = 0; i < capacity; i++) {
      spans.push(new Span());
      pairValues.push(new Span());
    }
    const firstEntry = new Uint8Array(PROPERTY_ID_LIMIT);
    firstEntry.fill(ABSENT);
    this.ids = new Int32Array(capacity);
    this.numbers = new Int32Array(capacity);
    this.spans = spans;
    this.pairValues = pairValues;
    this.firstEntry = firstEntry;
  }

  get capacity(): i32 {
    return this.ids.length;
  }

  clear(): void {
    for (let i = 0; i < this.count; i++) this.firstEntry[this.ids[i]] = ABSENT;
    this.count = 0;
  }

  /** Entry index of the first `id`, or -1. */
  find(id: i32): i32 {
    const entry: i32 = this.firstEntry[id];
    return entry == ABSENT ? -1 : entry;
  }

  has(id: i32): bool {
    return this.find(id) >= 0;
  }

  /** The numeric value of `id`, or `fallback` when absent. */
  numberOf(id: i32, fallback: i32): i32 {
    const entry = this.find(id);
    return entry < 0 ? fallback : this.numbers[entry];
  }

  /** Points `target` at the string or binary value of `id`; false (and `target` empty) when absent. */
  spanOf(id: i32, target: Span): bool {
    const entry = this.find(id);
    if (entry < 0) {
      target.clear();
      return false;
    }
    target.copyFrom(this.spans[entry]);
    return true;
  }

  /** Appends a numeric entry. Returns its index, or ERR_LIST_FULL. */
  addNumber(id: i32, value: i32): i32 {
    const entry = this.append(id);
    if (entry >= 0) this.numbers[entry] = value;
    return entry;
  }

  /** Appends a string or binary entry pointing at `buffer[offset .. offset+length)`. */
  addSpan(id: i32, buffer: Uint8Array, offset: i32, length: i32): i32 {
    const entry = this.append(id);
    if (entry >= 0) this.spans[entry].set(buffer, offset, length);
    return entry;
  }

  /** Appends a user property. */
  addPair(name: Span, value: Span): i32 {
    const entry = this.append(USER_PROPERTY);
    if (entry >= 0) {
      this.spans[entry].copyFrom(name);
      this.pairValues[entry].copyFrom(value);
    }
    return entry;
  }

  private append(id: i32): i32 {
    if (this.count == this.ids.length) return ERR_LIST_FULL;
    const entry = this.count;
    this.ids[entry] = id;
    this.numbers[entry] = 0;
    this.spans[entry].clear();
    this.pairValues[entry].clear();
    if (this.firstEntry[id] == ABSENT) this.firstEntry[id] = entry;
    this.count = entry + 1;
    return entry;
  }
}

/**
 * Reads a property list (its varint length included) for a packet of `packetType`
 * (WILL_PROPERTIES for a will) into `target`. Errors land in `reader.error`.
 */
export function propertiesDecode(reader: Reader, packetType: i32, target: PropertiesRepr): void {
  target.clear();
  const length = reader.varint();
  if (reader.error != 0) return;
  if (length > reader.remaining()) {
    reader.fail(ERR_LENGTH); // the list runs past the packet
    return;
  }
  const end = reader.position + length;
  const outerEnd = reader.end;
  reader.end = end; // a value may not run past the list
  while (reader.position < end && reader.error == 0) {
    const id = reader.varint();
    if (reader.error != 0) break;
    const type = id < PROPERTY_ID_LIMIT ? propertyType(id) : TYPE_NONE;
    if (type == TYPE_NONE || (propertyPackets(id) & (1 << packetType)) == 0) {
      reader.fail(ERR_PROPERTY_INVALID);
      break;
    }
    const repeated = target.has(id);
    const entry = target.addNumber(id, 0);
    if (entry < 0) {
      reader.fail(entry);
      break;
    }
    propertyValueDecode(reader, type, target, entry);
    if (reader.error != 0) break;
    if (repeated && !propertyRepeatable(id, packetType)) {
      reader.fail(ERR_PROPERTY_DUPLICATE);
      break;
    }
    const error = propertyValueCheck(id, type, target, entry);
    if (error != 0) reader.fail(error);
  }
  reader.end = outerEnd;
  if (reader.error != 0) reader.position = outerEnd;
}

function propertyValueDecode(reader: Reader, type: i32, target: PropertiesRepr, entry: i32): void {
  if (type == TYPE_BYTE) {
    target.numbers[entry] = reader.u8();
  } else if (type == TYPE_U16) {
    target.numbers[entry] = reader.u16();
  } else if (type == TYPE_U32) {
    target.numbers[entry] = reader.u32();
  } else if (type == TYPE_VARINT) {
    target.numbers[entry] = reader.varint();
  } else if (type == TYPE_BINARY) {
    reader.lengthPrefixed(target.spans[entry]);
  } else {
    reader.lengthPrefixed(target.spans[entry]);
    if (type == TYPE_PAIR) reader.lengthPrefixed(target.pairValues[entry]);
  }
}

/** 0, or the error for a value that has the right shape but one the spec forbids. */
function propertyValueCheck(id: i32, type: i32, target: PropertiesRepr, entry: i32): i32 {
  const value = target.numbers[entry];
  if (type == TYPE_BYTE) {
    return value > 1 ? ERR_PROPERTY_VALUE : 0; // every byte property is 0 or 1 (MQTT 5 §3.2.2.3)
  }
  if (id == RECEIVE_MAXIMUM || id == MAXIMUM_PACKET_SIZE || id == TOPIC_ALIAS || id == SUBSCRIPTION_IDENTIFIER) {
    return value == 0 ? ERR_PROPERTY_VALUE : 0; // MQTT 5 §3.1.2.11.3, .4, §3.3.2.3.4, §3.8.2.1.2
  }
  if (type == TYPE_UTF8 || type == TYPE_PAIR) {
    const name = target.spans[entry];
    if (!utf8Valid(name.buffer, name.offset, name.length)) return ERR_UTF8;
    if (type == TYPE_PAIR) {
      const pairValue = target.pairValues[entry];
      if (!utf8Valid(pairValue.buffer, pairValue.offset, pairValue.length)) return ERR_UTF8;
    }
    if (id == RESPONSE_TOPIC && (name.length == 0 || !topicNameValid(name))) return ERR_TOPIC_NAME; // MQTT-3.3.2-14
  }
  return 0;
}

/** Bytes of the property list without its length prefix. */
export function propertiesBodyLength(properties: PropertiesRepr): i32 {
  let total: i32 = 0;
  for (let i = 0; i < properties.count; i++) {
    const type = propertyType(properties.ids[i]);
    total += 1;
    if (type == TYPE_BYTE) total += 1;
    else if (type == TYPE_U16) total += 2;
    else if (type == TYPE_U32) total += 4;
    else if (type == TYPE_VARINT) total += varintSize(properties.numbers[i]);
    else total += 2 + properties.spans[i].length;
    if (type == TYPE_PAIR) total += 2 + properties.pairValues[i].length;
  }
  return total;
}

/** Bytes of the property list with its length prefix. */
export function propertiesEncodeLength(properties: PropertiesRepr): i32 {
  const body = propertiesBodyLength(properties);
  return varintSize(body) + body;
}

export function propertiesEncode(properties: PropertiesRepr, writer: Writer): void {
  writer.varint(propertiesBodyLength(properties));
  propertiesBodyEncode(properties, writer);
}

/** Writes the entries without the length prefix (propertiesBodyLength bytes). */
export function propertiesBodyEncode(properties: PropertiesRepr, writer: Writer): void {
  for (let i = 0; i < properties.count; i++) {
    const id = properties.ids[i];
    const type = propertyType(id);
    writer.u8(id);
    if (type == TYPE_BYTE) writer.u8(properties.numbers[i]);
    else if (type == TYPE_U16) writer.u16(properties.numbers[i]);
    else if (type == TYPE_U32) writer.u32(properties.numbers[i]);
    else if (type == TYPE_VARINT) writer.varint(properties.numbers[i]);
    else writer.lengthPrefixed(properties.spans[i]);
    if (type == TYPE_PAIR) writer.lengthPrefixed(properties.pairValues[i]);
  }
}
