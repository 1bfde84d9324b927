/**
 * SUBSCRIBE and UNSUBSCRIBE (MQTT 5 §3.8, §3.10): a packet identifier, properties in 5.0, and
 * a non-empty list of topic filters — with a subscription options byte each for SUBSCRIBE.
 * A packet with more filters than `TOPIC_FILTER_COUNT_MAX` slots is refused whole with
 * ERR_LIST_FULL (reason 0x97 Quota exceeded) rather than half-served.
 */
import {
  ERR_EMPTY_LIST, ERR_LIST_FULL, ERR_PACKET_ID, ERR_QOS, ERR_RESERVED_BITS, ERR_RETAIN_HANDLING,
  ERR_TOPIC_FILTER, ERR_UTF8,
} from "../core/errors";
import { Span } from "../core/bytes";
import { MQTT_3_1_1, MQTT_5, SUBSCRIBE, UNSUBSCRIBE } from "./constants";
import { PropertiesRepr, propertiesDecode, propertiesEncode, propertiesEncodeLength } from "./properties";
import { frameBegin, frameEncodeBegin, frameEnd, frameReader, frameWriter, packetLength } from "./header";
import { topicFilterValid } from "./topic";
import { utf8Valid } from "./utf8";

const OPTION_NO_LOCAL: i32 = 0x04;
const OPTION_RETAIN_AS_PUBLISHED: i32 = 0x08;
const OPTION_RETAIN_HANDLING_SHIFT: i32 = 4;

/** One topic filter with its options; UNSUBSCRIBE uses only `topicFilter`. */
export class SubscriptionRepr {
  readonly topicFilter: Span = new Span();
  /** Maximum QoS granted to messages through this subscription. */
  qos: i32 = 0;
  noLocal: bool = false;
  retainAsPublished: bool = false;
  /** 0 send retained on subscribe, 1 only if new, 2 never (MQTT 5 §3.8.3.1). */
  retainHandling: i32 = 0;
}

export class SubscribeRepr {
  version: i32 = MQTT_3_1_1;
  /** SUBSCRIBE or UNSUBSCRIBE. */
  type: i32 = SUBSCRIBE;
  packetId: i32 = 0;
  /** Entries of `subscriptions` in use. */
  count: i32 = 0;
  readonly subscriptions: Array<SubscriptionRepr>;
  readonly properties: PropertiesRepr;

  /** `properties` may be shared with other Reprs that are never filled at the same time. */
  constructor(filterCapacity: i32, properties: PropertiesRepr) {
    const subscriptions = new Array<SubscriptionRepr>(0);
    for (let i = 0; i < filterCapacity; i++) subscriptions.push(new SubscriptionRepr());
    this.subscriptions = subscriptions;
    this.properties = properties;
  }

  /** The next free entry, reset, or null when every slot is taken. */
  add(): SubscriptionRepr | null {
    if (this.count == this.subscriptions.length) return null;
    const entry = this.subscriptions[this.count];
    entry.topicFilter.clear();
    entry.qos = 0;
    entry.noLocal = false;
    entry.retainAsPublished = false;
    entry.retainHandling = 0;
    this.count++;
    return entry;
  }
}

/** Decodes a SUBSCRIBE or UNSUBSCRIBE (`type`); see header.ts for the return contract. */
export function subscribeDecode(source: Uint8Array, offset: i32, length: i32, target: SubscribeRepr, version: i32, type: i32): i32 {
  const total = frameBegin(source, offset, length, type);
  if (total <= 0) return total;
  const reader = frameReader;
  target.version = version;
  target.type = type;
  target.count = 0;
  target.packetId = reader.u16();
  if (reader.error != 0) return reader.error;
  if (target.packetId == 0) return ERR_PACKET_ID; // MQTT-2.2.1-3
  if (version == MQTT_5) propertiesDecode(reader, type, target.properties);
  else target.properties.clear();
  if (reader.error != 0) return reader.error;
  if (reader.remaining() == 0) return ERR_EMPTY_LIST; // MQTT-3.8.3-3, MQTT-3.10.3-2
  while (reader.remaining() > 0) {
    const entry = target.add();
    if (entry == null) return ERR_LIST_FULL;
    const filter = entry.topicFilter;
    reader.lengthPrefixed(filter);
    if (reader.error != 0) return reader.error;
    if (!utf8Valid(filter.buffer, filter.offset, filter.length)) return ERR_UTF8;
    if (!topicFilterValid(filter)) return ERR_TOPIC_FILTER; // MQTT-4.7.1-2, -3, MQTT-4.7.3-1
    if (type == UNSUBSCRIBE) continue;
    const options = reader.u8();
    if (reader.error != 0) return reader.error;
    const reserved = version == MQTT_5 ? 0xc0 : 0xfc;
    if ((options & reserved) != 0) return ERR_RESERVED_BITS; // MQTT-3.8.3-5
    entry.qos = options & 3;
    if (entry.qos == 3) return ERR_QOS; // MQTT-3-8.3-4
    entry.noLocal = (options & OPTION_NO_LOCAL) != 0;
    entry.retainAsPublished = (options & OPTION_RETAIN_AS_PUBLISHED) != 0;
    entry.retainHandling = (options >> OPTION_RETAIN_HANDLING_SHIFT) & 3;
    if (entry.retainHandling == 3) return ERR_RETAIN_HANDLING; // MQTT 5 §3.8.3.1
  }
  return frameEnd(total);
}

function subscribeRemainingLength(repr: SubscribeRepr): i32 {
  let length = 2;
  if (repr.version == MQTT_5) length += propertiesEncodeLength(repr.properties);
  const optionLength = repr.type == SUBSCRIBE ? 1 : 0;
  for (let i = 0; i < repr.count; i++) length += 2 + repr.subscriptions[i].topicFilter.length + optionLength;
  return length;
}

export function subscribeEncodeLength(repr: SubscribeRepr): i32 {
  return packetLength(subscribeRemainingLength(repr));
}

export function subscribeEncode(repr: SubscribeRepr, target: Uint8Array, offset: i32): i32 {
  const total = frameEncodeBegin(repr.type, 2, subscribeRemainingLength(repr), target, offset);
  if (total < 0) return total;
  const writer = frameWriter;
  writer.u16(repr.packetId);
  if (repr.version == MQTT_5) propertiesEncode(repr.properties, writer);
  for (let i = 0; i < repr.count; i++) {
    const entry = repr.subscriptions[i];
    writer.lengthPrefixed(entry.topicFilter);
    if (repr.type == UNSUBSCRIBE) continue;
    let options = entry.qos;
    if (entry.noLocal) options |= OPTION_NO_LOCAL;
    if (entry.retainAsPublished) options |= OPTION_RETAIN_AS_PUBLISHED;
    options |= entry.retainHandling << OPTION_RETAIN_HANDLING_SHIFT;
    writer.u8(options);
  }
  assert(writer.position == offset + total, "subscribeEncode: length");
  return total;
}
