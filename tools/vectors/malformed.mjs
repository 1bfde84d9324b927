#!/usr/bin/env node
/**
 * Malformed golden vectors: derives them from the captured valid vectors in test/vectors/*.json
 * by stated byte mutations, and appends them (expect = the codec error name of
 * firmware/core/errors.ts) to the family file of the packet type.
 *
 *   node tools/vectors/malformed.mjs    (also run at the end of tools/vectors/capture.mjs)
 *
 * Idempotent: it first removes every vector whose expect is not "ok", then appends afresh.
 * Each mutation picks its source with a predicate over the valid vectors (the first match in
 * file order), so it does not depend on hash-suffixed names; the provenance names the source
 * vector, every byte changed ("byte N 0xAA -> 0xBB"), every length fixed after the change, why
 * the result is an error and the spec statement that says so. When mqtt-packet 9.0.2 parses the
 * malformed bytes without error, the vector gets a "note" saying so.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseWithMqttPacket } from '../../test/support/mqtt_packet_fields.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const VECTOR_DIR = path.resolve(HERE, '../../test/vectors');
const FAMILY_OF = {
  connect: 'connect', connack: 'connack', publish: 'publish',
  puback: 'ack', pubrec: 'ack', pubrel: 'ack', pubcomp: 'ack',
  subscribe: 'subscribe', suback: 'suback', unsubscribe: 'unsubscribe', unsuback: 'unsuback',
  pingreq: 'ping', pingresp: 'ping', disconnect: 'disconnect', auth: 'auth',
};
const FAMILIES = [...new Set(Object.values(FAMILY_OF))];

const hex2 = (n) => `0x${n.toString(16).padStart(2, '0')}`;
const hexList = (buffer) => (buffer.length ? [...buffer].map(hex2).join(' ') : '(nothing)');

function varint(value) {
  const out = [];
  do {
    let byte = value % 128;
    value = Math.floor(value / 128);
    if (value > 0) byte |= 0x80;
    out.push(byte);
  } while (value > 0);
  return Buffer.from(out);
}

function readVarint(bytes, at) {
  let value = 0; let multiplier = 1; let used = 0;
  for (;;) {
    const byte = bytes[at + used];
    used += 1;
    value += (byte & 0x7f) * multiplier;
    multiplier *= 128;
    if ((byte & 0x80) === 0 || used === 4) return { value, used };
  }
}

/** Offsets inside a packet: body start, and 2-byte-length strings. */
const bodyStart = (bytes) => 1 + readVarint(bytes, 1).used;
const stringAt = (bytes, at) => ({ start: at + 2, end: at + 2 + bytes.readUInt16BE(at) });
/** Offset of a PUBLISH's v5 Property Length: after the topic and, for QoS > 0, the Packet Identifier. */
const publishPropertiesAt = (bytes) => stringAt(bytes, bodyStart(bytes)).end + ((bytes[0] & 0x06) ? 2 : 0);

/** A copy of a source vector's bytes that records every change made to it. */
class Mutation {
  constructor(source) {
    this.source = source;
    this.bytes = Buffer.from(source.hex, 'hex');
    this.steps = [];
  }

  set(index, value) {
    const old = this.bytes[index];
    this.bytes[index] = value;
    this.steps.push(`byte ${index} ${hex2(old)} -> ${hex2(value)}`);
    return this;
  }

  /** Replace `count` bytes at `index` by `insert` (a Buffer or array). */
  splice(index, count, insert, label) {
    const add = Buffer.from(insert);
    const old = this.bytes.subarray(index, index + count);
    const what = count === 0 ? `inserted before byte ${index}: ${hexList(add)}`
      : add.length === 0 ? `bytes ${index}..${index + count - 1} (${hexList(old)}) removed`
        : `bytes ${index}..${index + count - 1} ${hexList(old)} -> ${hexList(add)}`;
    this.steps.push(label ? `${what} (${label})` : what);
    this.bytes = Buffer.concat([this.bytes.subarray(0, index), add, this.bytes.subarray(index + count)]);
    return this;
  }

  /** Rewrite the 2-byte length at `at` to `value`, as a stated fix. */
  fixLength16(at, value, what) {
    const old = this.bytes.subarray(at, at + 2);
    const now = Buffer.alloc(2);
    now.writeUInt16BE(value);
    this.bytes = Buffer.concat([this.bytes.subarray(0, at), now, this.bytes.subarray(at + 2)]);
    this.steps.push(`${what} fixed: bytes ${at}..${at + 1} ${hexList(old)} -> ${hexList(now)}`);
    return this;
  }

  /** Rewrite the variable byte integer at `at` by adding `delta`, as a stated fix. */
  fixVarint(at, delta, what) {
    const { value, used } = readVarint(this.bytes, at);
    const now = varint(value + delta);
    const old = this.bytes.subarray(at, at + used);
    this.bytes = Buffer.concat([this.bytes.subarray(0, at), now, this.bytes.subarray(at + used)]);
    this.steps.push(`${what} fixed: ${hexList(old)} -> ${hexList(now)}`);
    return this;
  }

  /** Make the Remaining Length match the bytes again. */
  fixRemainingLength() {
    const { used } = readVarint(this.bytes, 1);
    const now = varint(this.bytes.length - 1 - used);
    const old = this.bytes.subarray(1, 1 + used);
    if (Buffer.compare(old, now) === 0) return this;
    this.bytes = Buffer.concat([this.bytes.subarray(0, 1), now, this.bytes.subarray(1 + used)]);
    this.steps.push(`remaining length fixed: ${hexList(old)} -> ${hexList(now)}`);
    return this;
  }
}

/**
 * The mutations. Each: name, expect, pick (predicate over valid vectors), mutate (Mutation ->
 * void), why, spec (statement id or section), says (what the spec requires, for the note),
 * optional version (decode with another version than the source's) and maxPacketSize.
 */
function mutations() {
  const list = [];
  const add = (m) => list.push(m);
  const is = (type, version, test = () => true) => (v) => v.fields.type === type && v.version === version && test(v);
  const topicIs = (topic) => (v) => v.fields.topic === topic;
  const clientIs = (id) => (v) => v.fields.clientId === id;

  // ---- reserved fixed-header flags ---------------------------------------------------------
  add({ name: 'pubrel_v4_flags_0', expect: 'ERR_RESERVED_FLAGS', pick: is('pubrel', 4),
    mutate: (m) => m.set(0, 0x60), why: 'PUBREL fixed-header flags 0000 instead of 0010',
    spec: 'MQTT-3.6.1-1, MQTT-2.2.2-2', says: 'the PUBREL flags MUST be 0010' });
  add({ name: 'pubrel_v5_flags_0', expect: 'ERR_RESERVED_FLAGS', pick: is('pubrel', 5, (v) => v.hex.length === 8),
    mutate: (m) => m.set(0, 0x60), why: 'PUBREL fixed-header flags 0000 instead of 0010',
    spec: 'MQTT-2.1.3-1', says: 'the PUBREL flags MUST be 0010' });
  add({ name: 'subscribe_v4_flags_0', expect: 'ERR_RESERVED_FLAGS', pick: is('subscribe', 4),
    mutate: (m) => m.set(0, 0x80), why: 'SUBSCRIBE fixed-header flags 0000 instead of 0010',
    spec: 'MQTT-3.8.1-1, MQTT-2.2.2-2', says: 'the SUBSCRIBE flags MUST be 0010' });
  add({ name: 'unsubscribe_v3_flags_0', expect: 'ERR_RESERVED_FLAGS', pick: is('unsubscribe', 3),
    mutate: (m) => m.set(0, 0xa0), why: 'UNSUBSCRIBE fixed-header flags 0000 instead of 0010',
    spec: 'MQTT-3.10.1-1, MQTT-2.2.2-2', says: 'the UNSUBSCRIBE flags MUST be 0010' });
  add({ name: 'puback_v5_flags_1', expect: 'ERR_RESERVED_FLAGS', pick: is('puback', 5, (v) => v.hex.length === 8),
    mutate: (m) => m.set(0, 0x41), why: 'PUBACK fixed-header flags 0001 instead of 0000',
    spec: 'MQTT-2.1.3-1', says: 'the PUBACK flags MUST be 0000' });
  add({ name: 'puback_v4_flags_1', expect: 'ERR_RESERVED_FLAGS', pick: is('puback', 4),
    mutate: (m) => m.set(0, 0x41), why: 'PUBACK fixed-header flags 0001 instead of 0000',
    spec: 'MQTT-2.2.2-1, MQTT-2.2.2-2', says: 'the PUBACK flags MUST be 0000' });
  add({ name: 'pingreq_v4_flags_8', expect: 'ERR_RESERVED_FLAGS', pick: is('pingreq', 4),
    mutate: (m) => m.set(0, 0xc8), why: 'PINGREQ fixed-header flags 1000 instead of 0000',
    spec: 'MQTT-2.2.2-1, MQTT-2.2.2-2', says: 'the PINGREQ flags MUST be 0000' });
  add({ name: 'disconnect_v5_flags_2', expect: 'ERR_RESERVED_FLAGS', pick: is('disconnect', 5, (v) => v.hex === 'e000'),
    mutate: (m) => m.set(0, 0xe2), why: 'DISCONNECT fixed-header flags 0010 instead of 0000',
    spec: 'MQTT-2.1.3-1', says: 'the DISCONNECT flags MUST be 0000' });
  add({ name: 'connack_v4_flags_1', expect: 'ERR_RESERVED_FLAGS', pick: is('connack', 4),
    mutate: (m) => m.set(0, 0x21), why: 'CONNACK fixed-header flags 0001 instead of 0000',
    spec: 'MQTT-2.2.2-1, MQTT-2.2.2-2', says: 'the CONNACK flags MUST be 0000' });

  // ---- QoS 3 ------------------------------------------------------------------------------
  add({ name: 'publish_v4_qos3', expect: 'ERR_QOS', pick: is('publish', 4, topicIs('wren/pub/q1')),
    mutate: (m) => m.set(0, 0x36), why: 'both QoS bits set (QoS 3)',
    spec: 'MQTT-3.3.1-4', says: 'a PUBLISH MUST NOT have both QoS bits set to 1' });
  add({ name: 'publish_v5_qos3', expect: 'ERR_QOS', pick: is('publish', 5, topicIs('wren/pub/q1')),
    mutate: (m) => m.set(0, 0x36), why: 'both QoS bits set (QoS 3); mosquitto answers these bytes with DISCONNECT 0x81 (see disconnect_v5_rc81_len1)',
    spec: 'MQTT-3.3.1-4', says: 'a PUBLISH MUST NOT have both QoS bits set to 1' });
  add({ name: 'connect_v4_will_qos3', expect: 'ERR_QOS', pick: is('connect', 4, clientIs('wren-will-v4')),
    mutate: (m) => m.set(9, m.bytes[9] | 0x18), why: 'Will QoS bits 11 (QoS 3) with the Will Flag set',
    spec: 'MQTT-3.1.2-14', says: 'the Will QoS MUST NOT be 3' });
  add({ name: 'subscribe_v4_qos3', expect: 'ERR_QOS', pick: is('subscribe', 4, (v) => v.fields.subscriptions.length === 1),
    mutate: (m) => m.set(m.bytes.length - 1, 0x03), why: 'subscription options QoS 3',
    spec: 'MQTT-3-8.3-4', says: 'a SUBSCRIBE with a requested QoS other than 0, 1, 2 MUST be treated as malformed' });

  // ---- variable byte integers ---------------------------------------------------------------
  add({ name: 'publish_v4_remaining_length_5_bytes', expect: 'ERR_VARINT', pick: is('publish', 4, topicIs('wren/pub/q0')),
    mutate: (m) => m.splice(1, 1, [0x8f, 0x80, 0x80, 0x80, 0x00], 'the same value 15 spread over 5 bytes'),
    why: 'a Remaining Length of more than 4 bytes',
    spec: 'MQTT 3.1.1 §2.2.3', says: 'the Remaining Length is at most four bytes' });
  add({ name: 'publish_v5_remaining_length_5_bytes', expect: 'ERR_VARINT', pick: is('publish', 5, topicIs('wren/pub/q0')),
    mutate: (m) => m.splice(1, 1, [0xff, 0xff, 0xff, 0xff, 0x7f]),
    why: 'a Remaining Length of more than 4 bytes (all four continuation bits set)',
    spec: 'MQTT 5 §1.5.5', says: 'a Variable Byte Integer is at most four bytes' });
  add({ name: 'puback_v5_remaining_length_overlong', expect: 'ERR_VARINT', pick: is('puback', 5, (v) => v.hex.length === 8),
    mutate: (m) => m.splice(1, 1, [0x82, 0x00], 'Remaining Length 2 in two bytes'),
    why: 'Remaining Length not in its shortest form',
    spec: 'MQTT-1.5.5-1', says: 'the encoded value MUST use the minimum number of bytes necessary' });
  add({ name: 'pingreq_v5_remaining_length_overlong', expect: 'ERR_VARINT', pick: is('pingreq', 5),
    mutate: (m) => m.splice(1, 1, [0x80, 0x00], 'Remaining Length 0 in two bytes'),
    why: 'Remaining Length not in its shortest form',
    spec: 'MQTT-1.5.5-1', says: 'the encoded value MUST use the minimum number of bytes necessary' });
  add({ name: 'pingreq_v4_remaining_length_overlong', expect: 'ERR_VARINT', pick: is('pingreq', 4),
    mutate: (m) => m.splice(1, 1, [0x80, 0x00], 'Remaining Length 0 in two bytes'),
    why: 'Remaining Length not in its shortest form; 3.1.1 only gives the encoding algorithm (which always yields the shortest form), errors.ts applies the MQTT 5 rule to every version',
    spec: 'MQTT 3.1.1 §2.2.3, MQTT-1.5.5-1', says: 'the encoded value MUST use the minimum number of bytes necessary' });
  add({ name: 'connack_v5_property_length_overlong', expect: 'ERR_VARINT', pick: is('connack', 5, (v) => v.fields.reasonCode === 0 && v.hex.startsWith('200900')),
    mutate: (m) => { m.splice(4, 1, [m.bytes[4] | 0x80, 0x00], 'Property Length in two bytes'); m.fixRemainingLength(); },
    why: 'Property Length not in its shortest form',
    spec: 'MQTT-1.5.5-1', says: 'the encoded value MUST use the minimum number of bytes necessary' });
  add({ name: 'subscribe_v5_subscription_identifier_overlong', expect: 'ERR_VARINT',
    pick: is('subscribe', 5, (v) => v.fields.properties.some(([n, x]) => n === 'subscriptionIdentifier' && x === 7)),
    mutate: (m) => {
      const at = m.bytes.indexOf(Buffer.from([0x0b, 0x07]), 4);
      m.splice(at + 1, 1, [0x87, 0x00], 'Subscription Identifier 7 in two bytes');
      m.fixVarint(4, 1, 'property length');
      m.fixRemainingLength();
    },
    why: 'Subscription Identifier not in its shortest form',
    spec: 'MQTT-1.5.5-1', says: 'the encoded value MUST use the minimum number of bytes necessary' });

  // ---- lengths ---------------------------------------------------------------------------------
  add({ name: 'publish_v4_topic_length_past_end', expect: 'ERR_LENGTH', pick: is('publish', 4, topicIs('wren/pub/q1')),
    mutate: (m) => m.set(3, 0x40), why: 'topic length 64 runs past the Remaining Length',
    spec: 'MQTT 3.1.1 §1.5.3, §2.2.3', says: 'a string is its length prefix and that many bytes, inside the Remaining Length' });
  add({ name: 'connect_v4_client_id_length_past_end', expect: 'ERR_LENGTH', pick: is('connect', 4, clientIs('wren-pub-q0-v4')),
    mutate: (m) => m.set(13, 0x20), why: 'client identifier length 32 runs past the Remaining Length',
    spec: 'MQTT 3.1.1 §1.5.3, §3.1.3.1', says: 'the Client Identifier is a length-prefixed string inside the packet' });
  add({ name: 'connect_v4_leftover_byte', expect: 'ERR_LENGTH', pick: is('connect', 4, clientIs('wren-pub-q0-v4')),
    mutate: (m) => { m.splice(m.bytes.length, 0, [0x00], 'a byte after the Client Identifier'); m.fixRemainingLength(); },
    why: 'one byte left over after the last field the flags announce',
    spec: 'MQTT-3.1.3-1, MQTT 3.1.1 §2.2.3', says: 'the payload holds exactly the fields the Connect Flags announce, and the Remaining Length counts exactly the variable header and payload' });
  add({ name: 'puback_v4_leftover_byte', expect: 'ERR_LENGTH', pick: is('puback', 4),
    mutate: (m) => { m.splice(4, 0, [0x00], 'a reason code byte that 3.1.1 does not have'); m.fixRemainingLength(); },
    why: 'a 3.1.1 PUBACK is exactly 2 bytes of Packet Identifier',
    spec: 'MQTT 3.1.1 §3.4.1', says: 'the Remaining Length of a PUBACK is 2' });
  add({ name: 'puback_v4_truncated_packet_id', expect: 'ERR_LENGTH', pick: is('puback', 4),
    mutate: (m) => { m.splice(3, 1, []); m.fixRemainingLength(); },
    why: 'the Packet Identifier is cut to one byte',
    spec: 'MQTT 3.1.1 §3.4.1, §3.4.2', says: 'a PUBACK carries a two-byte Packet Identifier' });
  add({ name: 'unsuback_v4_leftover_byte', expect: 'ERR_LENGTH', pick: is('unsuback', 4),
    mutate: (m) => { m.splice(4, 0, [0x00], 'a reason code byte that 3.1.1 does not have'); m.fixRemainingLength(); },
    why: 'a 3.1.1 UNSUBACK is exactly 2 bytes of Packet Identifier',
    spec: 'MQTT 3.1.1 §3.11.1', says: 'the Remaining Length of an UNSUBACK is 2' });
  add({ name: 'pingreq_v4_remaining_length_1', expect: 'ERR_LENGTH', pick: is('pingreq', 4),
    mutate: (m) => m.splice(1, 1, [0x01, 0x00], 'Remaining Length 1 and one byte of body'),
    why: 'a PINGREQ has no variable header and no payload',
    spec: 'MQTT 3.1.1 §3.12.2, §3.12.3', says: 'the PINGREQ has no variable header and no payload (Remaining Length 0)' });
  add({ name: 'pingresp_v5_remaining_length_1', expect: 'ERR_LENGTH', pick: is('pingresp', 5),
    mutate: (m) => m.splice(1, 1, [0x01, 0x00], 'Remaining Length 1 and one byte of body'),
    why: 'a PINGRESP has no variable header and no payload',
    spec: 'MQTT 5 §3.13.2, §3.13.3', says: 'the PINGRESP has no variable header and no payload (Remaining Length 0)' });
  add({ name: 'connack_v5_property_length_past_end', expect: 'ERR_LENGTH', pick: is('connack', 5, (v) => v.fields.reasonCode === 0 && v.hex.startsWith('200900')),
    mutate: (m) => m.set(4, 0x20), why: 'Property Length 32 runs past the Remaining Length',
    spec: 'MQTT 5 §2.2.2.1', says: 'the properties are Property Length bytes inside the packet' });
  add({ name: 'publish_v5_user_property_value_past_end', expect: 'ERR_LENGTH',
    pick: is('publish', 5, (v) => v.fields.properties.some(([n]) => n === 'userProperty') && v.provenance.startsWith('mosquitto_pub')),
    mutate: (m) => {
      const props = publishPropertiesAt(m.bytes);
      const { used } = readVarint(m.bytes, props);
      const first = props + used; // 0x26, name, value
      const name = stringAt(m.bytes, first + 1);
      m.set(name.end + 1, 0xff);
    },
    why: 'the first user property value length (255) runs past the Property Length',
    spec: 'MQTT 5 §1.5.7, §2.2.2.1', says: 'a string pair is two length-prefixed strings inside the properties' });

  // ---- UTF-8 ----------------------------------------------------------------------------------
  const topicQ0v4 = is('publish', 4, topicIs('wren/pub/q0'));
  add({ name: 'publish_v4_topic_utf8_overlong_nul', expect: 'ERR_UTF8', pick: topicQ0v4,
    mutate: (m) => m.splice(9, 2, [0xc0, 0x80], '"pu" -> overlong encoding of U+0000'),
    why: 'topic is not well-formed UTF-8 (C0 80 is an overlong form)',
    spec: 'MQTT-1.5.3-1', says: 'a UTF-8 encoded string MUST be well-formed UTF-8' });
  add({ name: 'publish_v4_topic_utf8_surrogate', expect: 'ERR_UTF8', pick: topicQ0v4,
    mutate: (m) => m.splice(9, 3, [0xed, 0xa0, 0x80], '"pub" -> encoding of U+D800'),
    why: 'topic encodes a surrogate code point (U+D800)',
    spec: 'MQTT-1.5.3-1', says: 'the string MUST NOT include encodings of code points between U+D800 and U+DFFF' });
  add({ name: 'publish_v4_topic_nul', expect: 'ERR_UTF8', pick: topicQ0v4,
    mutate: (m) => m.set(9, 0x00), why: 'topic contains U+0000',
    spec: 'MQTT-1.5.3-2', says: 'a UTF-8 encoded string MUST NOT include an encoding of the null character U+0000' });
  add({ name: 'publish_v4_topic_lone_continuation', expect: 'ERR_UTF8', pick: topicQ0v4,
    mutate: (m) => m.set(9, 0x80), why: 'topic contains a lone continuation byte',
    spec: 'MQTT-1.5.3-1', says: 'a UTF-8 encoded string MUST be well-formed UTF-8' });
  add({ name: 'publish_v4_topic_truncated_sequence', expect: 'ERR_UTF8', pick: topicQ0v4,
    mutate: (m) => m.set(12, 0xe2), why: 'topic contains a 3-byte lead byte followed by ASCII',
    spec: 'MQTT-1.5.3-1', says: 'a UTF-8 encoded string MUST be well-formed UTF-8' });
  add({ name: 'publish_v5_topic_utf8_surrogate', expect: 'ERR_UTF8', pick: is('publish', 5, topicIs('wren/pub/q0')),
    mutate: (m) => m.splice(9, 3, [0xed, 0xbf, 0xbf], '"pub" -> encoding of U+DFFF'),
    why: 'topic encodes a surrogate code point (U+DFFF)',
    spec: 'MQTT-1.5.4-1', says: 'the string MUST NOT include encodings of code points between U+D800 and U+DFFF' });
  add({ name: 'connect_v4_client_id_utf8_ff', expect: 'ERR_UTF8', pick: is('connect', 4, clientIs('wren-pub-q0-v4')),
    mutate: (m) => m.set(14, 0xff), why: 'client identifier contains the byte 0xFF, never valid in UTF-8',
    spec: 'MQTT-1.5.3-1', says: 'a UTF-8 encoded string MUST be well-formed UTF-8' });
  add({ name: 'subscribe_v5_filter_nul', expect: 'ERR_UTF8', pick: is('subscribe', 5, (v) => v.fields.subscriptions.length === 1 && v.fields.properties.length === 0),
    mutate: (m) => m.set(8, 0x00), why: 'topic filter contains U+0000',
    spec: 'MQTT-1.5.4-2', says: 'a UTF-8 encoded string MUST NOT include an encoding of the null character U+0000' });

  // ---- topic names and filters ---------------------------------------------------------------
  add({ name: 'publish_v4_topic_plus', expect: 'ERR_TOPIC_NAME', pick: topicQ0v4,
    mutate: (m) => m.set(9, 0x2b), why: 'topic name "wren/+ub/q0" contains +',
    spec: 'MQTT-3.3.2-2', says: 'the Topic Name in a PUBLISH MUST NOT contain wildcard characters' });
  add({ name: 'publish_v5_topic_hash', expect: 'ERR_TOPIC_NAME', pick: is('publish', 5, topicIs('wren/pub/q0')),
    mutate: (m) => m.set(13, 0x23), why: 'topic name "wren/pub/#0" contains #',
    spec: 'MQTT-3.3.2-2', says: 'the Topic Name in a PUBLISH MUST NOT contain wildcard characters' });
  const multiV4 = is('subscribe', 4, (v) => v.fields.subscriptions[0]?.topicFilter === 'wren/+/x');
  const replaceFirstFilter = (m, filter) => {
    const at = bodyStart(m.bytes) + 2;
    const old = stringAt(m.bytes, at);
    m.splice(old.start, old.end - old.start, Buffer.from(filter), `"wren/+/x" -> "${filter}"`);
    m.fixLength16(at, Buffer.byteLength(filter), 'topic filter length');
    m.fixRemainingLength();
  };
  add({ name: 'subscribe_v4_filter_hash_not_last', expect: 'ERR_TOPIC_FILTER', pick: multiV4,
    mutate: (m) => replaceFirstFilter(m, 'a/#/b'), why: '"#" is not the last character of the filter',
    spec: 'MQTT-4.7.1-2', says: 'the multi-level wildcard MUST be the last character in the Topic Filter' });
  add({ name: 'subscribe_v4_filter_plus_in_level', expect: 'ERR_TOPIC_FILTER', pick: multiV4,
    mutate: (m) => replaceFirstFilter(m, 'a+'), why: '"+" does not occupy a whole level',
    spec: 'MQTT-4.7.1-3', says: 'the single-level wildcard MUST occupy an entire level of the filter' });
  add({ name: 'subscribe_v4_filter_hash_after_text', expect: 'ERR_TOPIC_FILTER', pick: multiV4,
    mutate: (m) => replaceFirstFilter(m, 'a/b#'), why: '"#" does not follow a topic level separator',
    spec: 'MQTT-4.7.1-2', says: 'the multi-level wildcard MUST be specified on its own or following a topic level separator' });
  add({ name: 'unsubscribe_v5_filter_hash_not_last', expect: 'ERR_TOPIC_FILTER',
    pick: is('unsubscribe', 5, (v) => v.fields.topicFilters.length === 2 && v.fields.properties.length === 0),
    mutate: (m) => m.set(12, 0x23), why: 'topic filter "wren/#s/v5/a": "#" is not the last character',
    spec: 'MQTT-4.7.1-2', says: 'the multi-level wildcard MUST be the last character in the Topic Filter' });
  add({ name: 'publish_v4_topic_empty', expect: 'ERR_TOPIC_EMPTY', pick: is('publish', 4, topicIs('wren/pub/q1')),
    mutate: (m) => { m.splice(4, 11, [], 'the topic "wren/pub/q1"'); m.fixLength16(2, 0, 'topic length'); m.fixRemainingLength(); },
    why: 'empty topic name in 3.1.1',
    spec: 'MQTT-4.7.3-1', says: 'all Topic Names and Topic Filters MUST be at least one character long' });
  add({ name: 'publish_v5_topic_empty_without_alias', expect: 'ERR_TOPIC_EMPTY', pick: is('publish', 5, topicIs('wren/pub/q1')),
    mutate: (m) => { m.splice(4, 11, [], 'the topic "wren/pub/q1"'); m.fixLength16(2, 0, 'topic length'); m.fixRemainingLength(); },
    why: 'empty topic name and no Topic Alias',
    spec: 'MQTT 5 §3.3.2.3.4', says: 'it is a Protocol Error if the Topic Name is zero length and there is no Topic Alias' });
  add({ name: 'subscribe_v4_filter_empty', expect: 'ERR_TOPIC_FILTER', pick: multiV4,
    mutate: (m) => replaceFirstFilter(m, ''), why: 'empty topic filter (errors.ts keeps ERR_TOPIC_EMPTY for topic names; an empty filter is an invalid filter, reason 0x8F)',
    spec: 'MQTT-4.7.3-1', says: 'all Topic Names and Topic Filters MUST be at least one character long' });

  // ---- packet identifiers ----------------------------------------------------------------------
  add({ name: 'publish_v4_qos1_packet_id_0', expect: 'ERR_PACKET_ID', pick: is('publish', 4, topicIs('wren/pub/q1')),
    mutate: (m) => m.set(16, 0x00), why: 'Packet Identifier 0 in a QoS 1 PUBLISH',
    spec: 'MQTT-2.3.1-1', says: 'SUBSCRIBE, UNSUBSCRIBE and PUBLISH (QoS > 0) MUST contain a non-zero Packet Identifier' });
  add({ name: 'subscribe_v4_packet_id_0', expect: 'ERR_PACKET_ID', pick: is('subscribe', 4),
    mutate: (m) => m.set(3, 0x00), why: 'Packet Identifier 0 in a SUBSCRIBE',
    spec: 'MQTT-2.3.1-1', says: 'SUBSCRIBE, UNSUBSCRIBE and PUBLISH (QoS > 0) MUST contain a non-zero Packet Identifier' });
  add({ name: 'unsubscribe_v5_packet_id_0', expect: 'ERR_PACKET_ID', pick: is('unsubscribe', 5),
    mutate: (m) => m.set(3, 0x00), why: 'Packet Identifier 0 in an UNSUBSCRIBE',
    spec: 'MQTT-2.2.1-3', says: 'SUBSCRIBE, UNSUBSCRIBE and PUBLISH (QoS > 0) carry a non-zero Packet Identifier' });
  add({ name: 'publish_v5_qos2_packet_id_0', expect: 'ERR_PACKET_ID', pick: is('publish', 5, topicIs('wren/pub/q2')),
    mutate: (m) => m.set(16, 0x00), why: 'Packet Identifier 0 in a QoS 2 PUBLISH; mosquitto answers this with DISCONNECT 0x82 (see disconnect_v5_rc82_len1)',
    spec: 'MQTT-2.2.1-3', says: 'a PUBLISH with QoS > 0 carries a non-zero Packet Identifier' });

  // ---- properties --------------------------------------------------------------------------------
  const connectSei = is('connect', 5, (v) => v.fields.properties.length === 2 && v.fields.properties[0][0] === 'sessionExpiryInterval');
  const connectPropsAt = (m) => stringAt(m.bytes, bodyStart(m.bytes)).end + 4;
  add({ name: 'connect_v5_session_expiry_twice', expect: 'ERR_PROPERTY_DUPLICATE', pick: connectSei,
    mutate: (m) => {
      const at = connectPropsAt(m);
      const first = m.bytes.subarray(at + 1, at + 6);
      m.splice(at + 6, 0, Buffer.from(first), 'a second Session Expiry Interval, copy of the first');
      m.fixVarint(at, 5, 'property length');
      m.fixRemainingLength();
    },
    why: 'Session Expiry Interval appears twice',
    spec: 'MQTT 5 §3.1.2.11.2', says: 'it is a Protocol Error to include the Session Expiry Interval more than once' });
  add({ name: 'publish_v5_content_type_twice', expect: 'ERR_PROPERTY_DUPLICATE',
    pick: is('publish', 5, (v) => v.provenance.startsWith('mosquitto_pub') && v.fields.properties.some(([n]) => n === 'contentType')),
    mutate: (m) => {
      const props = publishPropertiesAt(m.bytes);
      const ct = Buffer.from([0x03, 0x00, 0x01, 0x78]);
      m.splice(props + 1, 0, ct, 'Content Type "x" as first property');
      m.fixVarint(props, ct.length, 'property length');
      m.fixRemainingLength();
    },
    why: 'Content Type appears twice',
    spec: 'MQTT 5 §3.3.2.3.9', says: 'it is a Protocol Error to include the Content Type more than once' });
  add({ name: 'connect_v5_topic_alias', expect: 'ERR_PROPERTY_INVALID', pick: connectSei,
    mutate: (m) => {
      const at = connectPropsAt(m);
      m.splice(at + 1, 0, [0x23, 0x00, 0x01], 'Topic Alias 1 as first property');
      m.fixVarint(at, 3, 'property length');
      m.fixRemainingLength();
    },
    why: 'Topic Alias is not a CONNECT property',
    spec: 'MQTT 5 §2.2.2.2, §3.1.2.11', says: 'Topic Alias (0x23) is only allowed in PUBLISH' });
  add({ name: 'connack_v5_unknown_property', expect: 'ERR_PROPERTY_INVALID', pick: is('connack', 5, (v) => v.fields.reasonCode === 0 && v.hex.startsWith('200900')),
    mutate: (m) => m.set(5, 0x04), why: 'property identifier 0x04 does not exist (was 0x22 Topic Alias Maximum)',
    spec: 'MQTT 5 §2.2.2.2', says: 'only the identifiers of Table 2-4 exist' });
  add({ name: 'connect_v5_receive_maximum_0', expect: 'ERR_PROPERTY_VALUE', pick: is('connect', 5, clientIs('wren-sub-props')),
    mutate: (m) => {
      const at = m.bytes.indexOf(Buffer.from([0x21, 0x00, 0x0a]), connectPropsAt(m));
      m.set(at + 2, 0x00);
    },
    why: 'Receive Maximum 0',
    spec: 'MQTT 5 §3.1.2.11.3', says: 'it is a Protocol Error for the Receive Maximum to have the value 0' });
  add({ name: 'connect_v5_maximum_packet_size_0', expect: 'ERR_PROPERTY_VALUE', pick: is('connect', 5, clientIs('wren-sub-props')),
    mutate: (m) => {
      const at = m.bytes.indexOf(Buffer.from([0x27, 0x00, 0x00, 0x03, 0xe8]), connectPropsAt(m));
      m.splice(at + 3, 2, [0x00, 0x00], 'Maximum Packet Size 1000 -> 0');
    },
    why: 'Maximum Packet Size 0',
    spec: 'MQTT 5 §3.1.2.11.4', says: 'it is a Protocol Error for the Maximum Packet Size to be zero' });
  add({ name: 'connect_v5_request_problem_information_2', expect: 'ERR_PROPERTY_VALUE', pick: is('connect', 5, clientIs('wren-sub-props')),
    mutate: (m) => {
      const at = m.bytes.indexOf(Buffer.from([0x17, 0x00]), connectPropsAt(m));
      m.set(at + 1, 0x02);
    },
    why: 'Request Problem Information 2',
    spec: 'MQTT 5 §3.1.2.11.7', says: 'it is a Protocol Error for Request Problem Information to have a value other than 0 or 1' });
  add({ name: 'connack_v5_maximum_qos_2', expect: 'ERR_PROPERTY_VALUE', pick: is('connack', 5, (v) => v.fields.properties.some(([n]) => n === 'maximumQos') && v.fields.reasonCode === 0),
    mutate: (m) => m.set(m.bytes.indexOf(Buffer.from([0x24, 0x01]), 4) + 1, 0x02), why: 'Maximum QoS 2',
    spec: 'MQTT 5 §3.2.2.3.4', says: 'it is a Protocol Error for Maximum QoS to have a value other than 0 or 1' });
  add({ name: 'subscribe_v5_subscription_identifier_0', expect: 'ERR_PROPERTY_VALUE',
    pick: is('subscribe', 5, (v) => v.fields.properties.some(([n, x]) => n === 'subscriptionIdentifier' && x === 7)),
    mutate: (m) => m.set(m.bytes.indexOf(Buffer.from([0x0b, 0x07]), 4) + 1, 0x00), why: 'Subscription Identifier 0',
    spec: 'MQTT 5 §3.8.2.1.2', says: 'it is a Protocol Error if the Subscription Identifier has a value of 0' });

  // ---- CONNECT flags, level, name -----------------------------------------------------------------
  const plainConnectV4 = is('connect', 4, clientIs('wren-pub-q0-v4'));
  add({ name: 'connect_v4_reserved_flag', expect: 'ERR_RESERVED_BITS', pick: plainConnectV4,
    mutate: (m) => m.set(9, 0x03), why: 'reserved bit 0 of the Connect Flags set',
    spec: 'MQTT-3.1.2-3', says: 'the Server MUST validate that the reserved flag in the CONNECT is zero' });
  add({ name: 'connect_v5_reserved_flag', expect: 'ERR_RESERVED_BITS', pick: is('connect', 5, clientIs('wren-pub-q0-v5')),
    mutate: (m) => m.set(9, 0x03), why: 'reserved bit 0 of the Connect Flags set',
    spec: 'MQTT-3.1.2-3', says: 'the Server MUST validate that the reserved flag in the CONNECT is zero' });
  add({ name: 'connect_v4_will_qos_without_will', expect: 'ERR_WILL_FLAGS', pick: plainConnectV4,
    mutate: (m) => m.set(9, 0x0a), why: 'Will QoS 1 with the Will Flag clear',
    spec: 'MQTT-3.1.2-13', says: 'if the Will Flag is 0, the Will QoS MUST be 0' });
  add({ name: 'connect_v4_will_retain_without_will', expect: 'ERR_WILL_FLAGS', pick: plainConnectV4,
    mutate: (m) => m.set(9, 0x22), why: 'Will Retain with the Will Flag clear',
    spec: 'MQTT-3.1.2-15', says: 'if the Will Flag is 0, the Will Retain MUST be 0' });
  add({ name: 'connect_v4_password_without_username', expect: 'ERR_PASSWORD_FLAG', pick: is('connect', 4, clientIs('wren-user-v4')),
    mutate: (m) => m.set(9, 0x42), why: 'Password Flag set, User Name Flag clear (the user name and password fields stay in the payload)',
    spec: 'MQTT-3.1.2-22', says: 'if the User Name Flag is 0, the Password Flag MUST be 0' });
  add({ name: 'connect_v3_password_without_username', expect: 'ERR_PASSWORD_FLAG', pick: is('connect', 3, clientIs('wren-user-v3')),
    mutate: (m) => m.set(11, 0x42), why: 'Password Flag set, User Name Flag clear (the user name and password fields stay in the payload)',
    spec: 'MQTT 3.1 §3.1 Connect flags', says: 'a password may only be given with a user name' });
  add({ name: 'connect_v4_protocol_level_6', expect: 'ERR_PROTOCOL_VERSION', pick: plainConnectV4,
    mutate: (m) => m.set(8, 0x06), why: 'protocol level 6 (version stays 4: the receiver expected 3.1.1; mosquitto answers CONNACK 0x01, see connack_v4_rc01)',
    spec: 'MQTT-3.1.2-2', says: 'the Server MUST respond with CONNACK return code 0x01 and disconnect for an unsupported level' });
  add({ name: 'connect_v4_protocol_name_mqtt_level_3', expect: 'ERR_PROTOCOL_VERSION', pick: plainConnectV4,
    mutate: (m) => m.set(8, 0x03), why: 'protocol name "MQTT" with level 3, which only exists as "MQIsdp" (found by test/fuzz.test.mjs)',
    spec: 'MQTT-3.1.2-2', says: 'level 3 under the name "MQTT" is not a protocol version: CONNACK 0x01 and disconnect' });
  add({ name: 'connect_v4_protocol_name_mqtx', expect: 'ERR_PROTOCOL_NAME', pick: plainConnectV4,
    mutate: (m) => m.set(7, 0x58), why: 'protocol name "MQTX"',
    spec: 'MQTT-3.1.2-1', says: 'a protocol name other than "MQTT" may be refused by disconnecting' });
  add({ name: 'connect_v3_protocol_name_mqisdq', expect: 'ERR_PROTOCOL_NAME', pick: is('connect', 3, clientIs('wren-pub-q0-v3')),
    mutate: (m) => m.set(9, 0x71), why: 'protocol name "MQIsdq"',
    spec: 'MQTT 3.1 §3.1 Protocol name', says: 'the protocol name of 3.1 is "MQIsdp"' });
  add({ name: 'connack_v4_reserved_flags', expect: 'ERR_RESERVED_BITS', pick: is('connack', 4, (v) => !v.fields.sessionPresent && v.fields.reasonCode === 0),
    mutate: (m) => m.set(2, 0x02), why: 'Connect Acknowledge Flags bit 1 set',
    spec: 'MQTT 3.1.1 §3.2.2.1', says: 'bits 7-1 of the Connect Acknowledge Flags are reserved and MUST be 0' });

  // ---- SUBSCRIBE lists and options ------------------------------------------------------------------
  add({ name: 'subscribe_v4_no_filter', expect: 'ERR_EMPTY_LIST', pick: is('subscribe', 4, (v) => v.fields.subscriptions.length === 1),
    mutate: (m) => { m.splice(4, m.bytes.length - 4, [], 'the only topic filter and its options'); m.fixRemainingLength(); },
    why: 'SUBSCRIBE without any topic filter',
    spec: 'MQTT-3.8.3-3', says: 'the payload of a SUBSCRIBE MUST contain at least one Topic Filter / QoS pair' });
  add({ name: 'subscribe_v5_no_filter', expect: 'ERR_EMPTY_LIST', pick: is('subscribe', 5, (v) => v.fields.subscriptions.length === 1 && v.fields.properties.length === 0),
    mutate: (m) => { m.splice(5, m.bytes.length - 5, [], 'the only topic filter and its options'); m.fixRemainingLength(); },
    why: 'SUBSCRIBE without any topic filter',
    spec: 'MQTT-3.8.3-2', says: 'the payload of a SUBSCRIBE MUST contain at least one Topic Filter and Subscription Options pair' });
  add({ name: 'unsubscribe_v4_no_filter', expect: 'ERR_EMPTY_LIST', pick: is('unsubscribe', 4, (v) => v.fields.topicFilters.length === 1),
    mutate: (m) => { m.splice(4, m.bytes.length - 4, [], 'the only topic filter'); m.fixRemainingLength(); },
    why: 'UNSUBSCRIBE without any topic filter',
    spec: 'MQTT-3.10.3-2', says: 'the payload of an UNSUBSCRIBE MUST contain at least one Topic Filter' });
  add({ name: 'suback_v4_no_return_code', expect: 'ERR_EMPTY_LIST', pick: is('suback', 4, (v) => v.fields.reasonCodes.length === 1),
    mutate: (m) => { m.splice(4, 1, [], 'the only return code'); m.fixRemainingLength(); },
    why: 'SUBACK without any return code',
    spec: 'MQTT 3.1.1 §3.9.3', says: 'the SUBACK payload holds one return code per topic filter of the SUBSCRIBE' });
  add({ name: 'unsuback_v5_no_reason_code', expect: 'ERR_EMPTY_LIST', pick: is('unsuback', 5, (v) => v.fields.reasonCodes.length === 1),
    mutate: (m) => { m.splice(5, 1, [], 'the only reason code'); m.fixRemainingLength(); },
    why: 'UNSUBACK without any reason code',
    spec: 'MQTT 5 §3.11.3', says: 'the UNSUBACK payload holds one reason code per topic filter of the UNSUBSCRIBE' });
  const sub5 = is('subscribe', 5, (v) => v.fields.subscriptions.length === 1 && v.fields.properties.length === 0 && v.fields.subscriptions[0].qos === 2);
  add({ name: 'subscribe_v5_retain_handling_3', expect: 'ERR_RETAIN_HANDLING', pick: sub5,
    mutate: (m) => m.set(m.bytes.length - 1, 0x32), why: 'Retain Handling 3 in the subscription options',
    spec: 'MQTT 5 §3.8.3.1', says: 'it is a Protocol Error to send a Retain Handling value of 3' });
  add({ name: 'subscribe_v5_options_reserved_bits', expect: 'ERR_RESERVED_BITS', pick: sub5,
    mutate: (m) => m.set(m.bytes.length - 1, 0x42), why: 'reserved bit 6 of the subscription options set',
    spec: 'MQTT-3.8.3-5', says: 'the Server MUST treat a SUBSCRIBE as malformed if any reserved bit in the payload is non-zero' });
  add({ name: 'subscribe_v4_options_reserved_bits', expect: 'ERR_RESERVED_BITS', pick: is('subscribe', 4, (v) => v.fields.subscriptions.length === 1 && v.fields.subscriptions[0].qos === 1),
    mutate: (m) => m.set(m.bytes.length - 1, 0x05), why: 'bit 2 of the requested-QoS byte set (No Local in 5.0, reserved in 3.1.1)',
    spec: 'MQTT-3-8.3-4', says: 'the Server MUST treat a SUBSCRIBE as malformed if any reserved bit in the payload is non-zero' });

  // ---- DUP on QoS 0 -------------------------------------------------------------------------------
  add({ name: 'publish_v4_dup_qos0', expect: 'ERR_DUP_QOS0', pick: topicQ0v4,
    mutate: (m) => m.set(0, 0x38), why: 'DUP set on a QoS 0 PUBLISH',
    spec: 'MQTT-3.3.1-2', says: 'the DUP flag MUST be set to 0 for all QoS 0 messages' });
  add({ name: 'publish_v5_dup_qos0', expect: 'ERR_DUP_QOS0', pick: is('publish', 5, topicIs('wren/pub/q0')),
    mutate: (m) => m.set(0, 0x38), why: 'DUP set on a QoS 0 PUBLISH',
    spec: 'MQTT-3.3.1-2', says: 'the DUP flag MUST be set to 0 for all QoS 0 messages' });

  // ---- packet types -----------------------------------------------------------------------------------
  add({ name: 'auth_v4', expect: 'ERR_PACKET_TYPE', version: 4, pick: is('auth', 5, (v) => v.fields.reasonCode === 0x19),
    mutate: () => {}, why: 'the unchanged bytes of an AUTH, decoded as 3.1.1, where type 15 is reserved',
    spec: 'MQTT 3.1.1 §2.2.1 Table 2.1', says: 'control packet type 15 is reserved (forbidden) in 3.1.1' });
  add({ name: 'auth_v3', expect: 'ERR_PACKET_TYPE', version: 3, pick: is('auth', 5, (v) => v.fields.reasonCode === 0x19),
    mutate: () => {}, why: 'the unchanged bytes of an AUTH, decoded as 3.1, where type 15 is reserved',
    spec: 'MQTT 3.1 §2.1 Message types', says: 'message type 15 is reserved in 3.1' });
  add({ name: 'pingreq_v4_type_0', expect: 'ERR_PACKET_TYPE', pick: is('pingreq', 4),
    mutate: (m) => m.set(0, 0x00), why: 'control packet type 0',
    spec: 'MQTT 3.1.1 §2.2.1 Table 2.1', says: 'control packet type 0 is reserved (forbidden)' });
  add({ name: 'pingreq_v5_type_0', expect: 'ERR_PACKET_TYPE', pick: is('pingreq', 5),
    mutate: (m) => m.set(0, 0x00), why: 'control packet type 0',
    spec: 'MQTT 5 §2.1.2 Table 2-1', says: 'control packet type 0 is reserved (forbidden)' });

  // ---- reason codes --------------------------------------------------------------------------------------
  const puback10 = is('puback', 5, (v) => v.fields.reasonCode === 0x10);
  add({ name: 'puback_v5_reason_0x05', expect: 'ERR_REASON_CODE', pick: puback10,
    mutate: (m) => m.set(4, 0x05), why: 'PUBACK reason code 0x05 is not defined',
    spec: 'MQTT 5 §3.4.2.1', says: 'a PUBACK reason code is one of 0x00 0x10 0x80 0x83 0x87 0x90 0x91 0x97 0x99' });
  add({ name: 'puback_v5_reason_0x95', expect: 'ERR_REASON_CODE', pick: puback10,
    mutate: (m) => m.set(4, 0x95), why: 'PUBACK reason code 0x95 (Packet too large) is not a PUBACK code; these exact bytes are what mosquitto 2.0.11 sends for a QoS 1 PUBLISH over message_size_limit (capture scenario limits-v5-violations)',
    spec: 'MQTT 5 §3.4.2.1', says: 'a PUBACK reason code is one of 0x00 0x10 0x80 0x83 0x87 0x90 0x91 0x97 0x99' });
  add({ name: 'pubcomp_v5_reason_0x10', expect: 'ERR_REASON_CODE', pick: is('pubrel', 5, (v) => v.fields.reasonCode === 0x92),
    mutate: (m) => { m.set(0, 0x70); m.set(4, 0x10); }, why: 'turned into a PUBCOMP (type 7, flags 0000) with reason code 0x10, which is not a PUBCOMP code',
    spec: 'MQTT 5 §3.7.2.1', says: 'a PUBCOMP reason code is 0x00 or 0x92' });
  add({ name: 'disconnect_v5_reason_0x03', expect: 'ERR_REASON_CODE', pick: is('disconnect', 5, (v) => v.fields.reasonCode === 0x04 && v.hex.length === 6),
    mutate: (m) => m.set(2, 0x03), why: 'DISCONNECT reason code 0x03 is not defined',
    spec: 'MQTT 5 §3.14.2.1', says: 'the DISCONNECT reason codes are those of Table 3-10' });
  add({ name: 'auth_v5_reason_0x01', expect: 'ERR_REASON_CODE', pick: is('auth', 5, (v) => v.fields.reasonCode === 0x19),
    mutate: (m) => m.set(2, 0x01), why: 'AUTH reason code 0x01 is not defined',
    spec: 'MQTT 5 §3.15.2.1', says: 'an AUTH reason code is 0x00, 0x18 or 0x19' });
  add({ name: 'connack_v5_reason_0x01', expect: 'ERR_REASON_CODE', pick: is('connack', 5, (v) => v.fields.reasonCode === 0x87),
    mutate: (m) => m.set(3, 0x01), why: 'CONNACK reason code 0x01 is a 3.1.1 return code, not a 5.0 reason code',
    spec: 'MQTT 5 §3.2.2.2', says: 'the CONNACK reason codes are those of Table 3-1' });
  add({ name: 'suback_v5_reason_0x03', expect: 'ERR_REASON_CODE', pick: is('suback', 5, (v) => v.fields.reasonCodes.length === 1),
    mutate: (m) => m.set(m.bytes.length - 1, 0x03), why: 'SUBACK reason code 0x03 is not defined',
    spec: 'MQTT 5 §3.9.3', says: 'the SUBACK reason codes are those of Table 3-8' });

  // ---- packet size ------------------------------------------------------------------------------------------
  add({ name: 'publish_v5_too_large_by_1', expect: 'ERR_TOO_LARGE', maxPacketSize: 16387,
    pick: is('publish', 5, (v) => v.hex.startsWith('30808001')),
    mutate: () => {}, why: 'unchanged 16388-byte packet (Remaining Length 16384) received with Maximum Packet Size 16387',
    spec: 'MQTT 5 §3.1.2.11.4', says: 'a packet larger than the Maximum Packet Size the receiver announced is a Protocol Error (0x95)' });
  add({ name: 'publish_v4_too_large_by_1', expect: 'ERR_TOO_LARGE', maxPacketSize: 128,
    pick: is('publish', 4, (v) => v.hex.startsWith('307f0001')),
    mutate: () => {}, why: 'unchanged 129-byte packet (Remaining Length 127) received with a maximum packet size of 128',
    spec: 'MQTT 5 §3.1.2.11.4 (the codec applies its limit to every version)', says: 'a packet larger than the maximum packet size is refused (0x95)' });
  return list;
}

function build(mutation, valid) {
  const source = valid.find(mutation.pick);
  if (!source) throw new Error(`malformed ${mutation.name}: no source vector matches`);
  const m = new Mutation(source);
  mutation.mutate(m);
  const version = mutation.version ?? source.version;
  const hex = m.bytes.toString('hex');
  const changes = m.steps.length ? m.steps.join(', then ') : 'bytes unchanged';
  const vector = {
    name: `malformed_${mutation.name}`,
    version,
    hex,
    provenance: `${source.name}, ${changes}: ${mutation.why}, ${mutation.spec}`,
    expect: mutation.expect,
  };
  if (mutation.maxPacketSize !== undefined) vector.maxPacketSize = mutation.maxPacketSize;
  const parsed = parseWithMqttPacket(m.bytes, version);
  if (!parsed.error && parsed.packets.length === 1 && parsed.rest === 0) {
    vector.note = `mqtt-packet 9.0.2 accepts this; ${mutation.spec} says ${mutation.says}`;
  } else if (!parsed.error && parsed.packets.length === 0) {
    vector.note = `mqtt-packet 9.0.2 does not reject this, it waits for more bytes; ${mutation.spec} says ${mutation.says}`;
  }
  return { vector, family: FAMILY_OF[source.fields.type] };
}

/**
 * Valid packets no capture can give because no tool writes them, derived from a captured one
 * where mqtt-packet and the spec part ways (found by test/fuzz.test.mjs). Their fields are
 * stated from the spec section cited, since mqtt-packet cannot read them.
 */
function specVariants(valid) {
  const source = valid.find((v) => v.fields.type === 'auth' && v.version === 5 && v.fields.reasonCode === 0);
  if (!source) throw new Error('spec variant auth_v5_rc00_len0: no captured AUTH with reason 0x00');
  return [{
    family: 'auth',
    vector: {
      name: 'auth_v5_rc00_len0',
      version: 5,
      hex: 'f000',
      fields: { type: 'auth', reasonCode: 0, properties: [] },
      provenance: `${source.name}, reason code and properties dropped, remaining length set to 0: the short form of ` +
        'AUTH Success, MQTT 5 §3.15.2.1 ("the Reason Code and Property Length can be omitted if the Reason Code is ' +
        '0x00 (Success) and there are no Properties. In this case the AUTH has a Remaining Length of 0")',
      expect: 'ok',
      note: 'mqtt-packet 9.0.2 refuses this ("Invalid auth reason code"); MQTT 5 §3.15.2.1 allows it',
    },
  }];
}

export function appendMalformed() {
  const files = Object.fromEntries(FAMILIES.map((family) => {
    const file = path.join(VECTOR_DIR, `${family}.json`);
    // Keep the captured vectors; everything derived here is derived again.
    return [family, JSON.parse(fs.readFileSync(file, 'utf8')).filter((v) => v.expect === 'ok' && v.name !== 'auth_v5_rc00_len0')];
  }));
  const valid = FAMILIES.flatMap((family) => files[family]);
  const seen = new Set(valid.map((v) => `${v.version}:${v.hex}`));
  const counts = {};
  for (const mutation of mutations()) {
    const { vector, family } = build(mutation, valid);
    // The same bytes with a maxPacketSize are a different vector (ERR_TOO_LARGE).
    const key = `${vector.version}:${vector.hex}${vector.maxPacketSize === undefined ? '' : `:${vector.maxPacketSize}`}`;
    if (seen.has(key)) throw new Error(`malformed ${mutation.name} duplicates another vector`);
    seen.add(key);
    files[family].push(vector);
    counts[family] = (counts[family] ?? 0) + 1;
  }
  for (const { family, vector } of specVariants(valid)) files[family].push(vector);
  for (const family of FAMILIES) {
    fs.writeFileSync(path.join(VECTOR_DIR, `${family}.json`), `${JSON.stringify(files[family], null, 2)}\n`);
    console.log(`test/vectors/${family}.json: ${counts[family] ?? 0} malformed vectors appended`);
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  appendMalformed();
}
