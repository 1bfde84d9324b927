/**
 * Self-test of test/support/mqtt_packet_fields.mjs: round trips through mqtt-packet in both
 * directions (bytes -> fields -> mqtt-packet object -> bytes -> fields), and the documented
 * losses. Run: node --test test/support/mqtt_packet_fields.test.mjs
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import mqttPacket from 'mqtt-packet';
import {
  fieldsFromBytes, fieldsFromMqttPacket, generateWithMqttPacket, mqttPacketFromFields,
  parseWithMqttPacket, propertiesFromMqttPacket, propertiesToMqttPacket,
} from './mqtt_packet_fields.mjs';

const VECTOR_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../vectors');

/** mqtt-packet object -> bytes -> fields -> object -> bytes -> fields; both field sets equal. */
function roundTrip(packet, version) {
  const bytes = mqttPacket.generate(packet, { protocolVersion: version });
  const fields = fieldsFromBytes(bytes, version);
  const again = generateWithMqttPacket(fields, version);
  assert.deepEqual(fieldsFromBytes(again, version), fields);
  return { bytes, fields, again };
}

test('CONNECT 5.0 with will, credentials and properties', () => {
  const { fields, bytes, again } = roundTrip({
    cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clean: false, keepalive: 30, clientId: 'c1',
    username: 'u', password: Buffer.from([0, 1, 0xff]),
    will: { topic: 'w/t', payload: Buffer.from('bye'), qos: 2, retain: true,
      properties: { willDelayInterval: 5, payloadFormatIndicator: true, contentType: 'text/plain' } },
    properties: { sessionExpiryInterval: 60, receiveMaximum: 10, maximumPacketSize: 1000,
      topicAliasMaximum: 5, requestProblemInformation: false, userProperties: { k: 'v' } },
  }, 5);
  assert.deepEqual(Object.keys(fields), ['type', 'protocolName', 'protocolVersion', 'cleanStart',
    'keepAlive', 'clientId', 'will', 'username', 'password', 'properties']);
  assert.deepEqual(fields.will, { topic: 'w/t', payload: '627965', qos: 2, retain: true,
    properties: [['willDelayInterval', 5], ['payloadFormatIndicator', 1], ['contentType', 'text/plain']] });
  assert.equal(fields.password, '0001ff');
  assert.deepEqual(fields.properties, [['sessionExpiryInterval', 60], ['receiveMaximum', 10],
    ['maximumPacketSize', 1000], ['topicAliasMaximum', 5], ['requestProblemInformation', 0],
    ['userProperty', ['k', 'v']]]);
  assert.deepEqual(again, bytes);
});

test('CONNECT 3.1 and 3.1.1 have no properties; null will, user name and password', () => {
  for (const [protocolId, version] of [['MQIsdp', 3], ['MQTT', 4]]) {
    const { fields } = roundTrip({ cmd: 'connect', protocolId, protocolVersion: version, clean: true, keepalive: 60, clientId: 'x' }, version);
    assert.deepEqual(fields, { type: 'connect', protocolName: protocolId, protocolVersion: version,
      cleanStart: true, keepAlive: 60, clientId: 'x', will: null, username: null, password: null });
  }
});

test('CONNACK: return code before 5.0, reason code and renamed properties in 5.0', () => {
  assert.deepEqual(roundTrip({ cmd: 'connack', sessionPresent: true, returnCode: 5 }, 4).fields,
    { type: 'connack', sessionPresent: true, reasonCode: 5 });
  const { fields } = roundTrip({ cmd: 'connack', sessionPresent: false, reasonCode: 0,
    properties: { maximumQoS: 1, retainAvailable: false, subscriptionIdentifiersAvailable: true,
      assignedClientIdentifier: 'auto-1', authenticationData: Buffer.from('ab') } }, 5);
  assert.deepEqual(fields.properties, [['maximumQos', 1], ['retainAvailable', 0],
    ['subscriptionIdentifierAvailable', 1], ['assignedClientIdentifier', 'auto-1'], ['authenticationData', '6162']]);
});

test('PUBLISH: packetId 0 for QoS 0, hex payload, 5.0 properties in wire order', () => {
  assert.deepEqual(roundTrip({ cmd: 'publish', topic: 'a/b', payload: Buffer.from('OK'), qos: 0, retain: true }, 4).fields,
    { type: 'publish', dup: false, qos: 0, retain: true, topic: 'a/b', packetId: 0, payload: '4f4b' });
  const { fields, bytes, again } = roundTrip({ cmd: 'publish', topic: '', payload: Buffer.alloc(0), qos: 1, dup: true, messageId: 7,
    properties: { topicAlias: 3, correlationData: Buffer.from([1, 2]), userProperties: { a: ['1', '2'], b: '3' }, subscriptionIdentifier: [4, 5] } }, 5);
  assert.deepEqual(fields, { type: 'publish', dup: true, qos: 1, retain: false, topic: '', packetId: 7, payload: '',
    properties: [['topicAlias', 3], ['correlationData', '0102'], ['userProperty', ['a', '1']], ['userProperty', ['a', '2']],
      ['userProperty', ['b', '3']], ['subscriptionIdentifier', 4], ['subscriptionIdentifier', 5]] });
  assert.deepEqual(again, bytes);
});

test('acks: reason code 0 before 5.0; 5.0 short forms decode to reason code 0 / no properties', () => {
  assert.deepEqual(fieldsFromBytes('40020001', 4), { type: 'puback', packetId: 1, reasonCode: 0 });
  assert.deepEqual(fieldsFromBytes('40020001', 5), { type: 'puback', packetId: 1, reasonCode: 0, properties: [] });
  assert.deepEqual(fieldsFromBytes('5003000110', 5), { type: 'pubrec', packetId: 1, reasonCode: 0x10, properties: [] });
  assert.deepEqual(fieldsFromBytes('620400010000', 5), { type: 'pubrel', packetId: 1, reasonCode: 0, properties: [] });
  // generate() picks the 2-byte form for reason 0, but the 4-byte one for other codes.
  assert.equal(generateWithMqttPacket({ type: 'puback', packetId: 1, reasonCode: 0, properties: [] }, 5).toString('hex'), '40020001');
  assert.equal(generateWithMqttPacket({ type: 'puback', packetId: 1, reasonCode: 0x10, properties: [] }, 5).toString('hex'), '400400011000');
  roundTrip({ cmd: 'pubcomp', messageId: 9, reasonCode: 0x92, properties: { reasonString: 'gone' } }, 5);
});

test('SUBSCRIBE/SUBACK/UNSUBSCRIBE/UNSUBACK', () => {
  const sub = roundTrip({ cmd: 'subscribe', messageId: 2, subscriptions: [{ topic: 'a/+', qos: 1, nl: true, rap: false, rh: 2 }],
    properties: { subscriptionIdentifier: 7 } }, 5).fields;
  assert.deepEqual(sub.subscriptions, [{ topicFilter: 'a/+', qos: 1, noLocal: true, retainAsPublished: false, retainHandling: 2 }]);
  assert.deepEqual(roundTrip({ cmd: 'subscribe', messageId: 2, subscriptions: [{ topic: '#', qos: 2 }] }, 4).fields.subscriptions,
    [{ topicFilter: '#', qos: 2, noLocal: false, retainAsPublished: false, retainHandling: 0 }]);
  assert.deepEqual(roundTrip({ cmd: 'suback', messageId: 2, granted: [0, 1, 0x80] }, 4).fields,
    { type: 'suback', packetId: 2, reasonCodes: [0, 1, 0x80] });
  assert.deepEqual(roundTrip({ cmd: 'unsubscribe', messageId: 3, unsubscriptions: ['a', 'b'] }, 5).fields,
    { type: 'unsubscribe', packetId: 3, topicFilters: ['a', 'b'], properties: [] });
  assert.deepEqual(roundTrip({ cmd: 'unsuback', messageId: 3 }, 4).fields, { type: 'unsuback', packetId: 3, reasonCodes: [] });
  assert.deepEqual(roundTrip({ cmd: 'unsuback', messageId: 3, granted: [0, 0x11] }, 5).fields,
    { type: 'unsuback', packetId: 3, reasonCodes: [0, 0x11], properties: [] });
});

test('PINGREQ, DISCONNECT, AUTH', () => {
  assert.deepEqual(fieldsFromBytes('c000', 3), { type: 'pingreq' });
  assert.deepEqual(fieldsFromBytes('e000', 4), { type: 'disconnect' });
  assert.deepEqual(fieldsFromBytes('e000', 5), { type: 'disconnect', reasonCode: 0, properties: [] });
  // generate() never uses the short DISCONNECT forms.
  assert.equal(generateWithMqttPacket({ type: 'disconnect', reasonCode: 0, properties: [] }, 5).toString('hex'), 'e0020000');
  const auth = roundTrip({ cmd: 'auth', reasonCode: 0x18, properties: { authenticationMethod: 'M', authenticationData: Buffer.from('d') } }, 5).fields;
  assert.deepEqual(auth, { type: 'auth', reasonCode: 0x18, properties: [['authenticationMethod', 'M'], ['authenticationData', '64']] });
});

test('documented loss: interleaved repeated properties come back grouped', () => {
  // PUBLISH 5.0, topic "t", properties: up(a,1) subId 1 up(b,2) up(a,3) subId 2
  const props = Buffer.from('26000161000131' + '0b01' + '26000162000132' + '26000161000133' + '0b02', 'hex');
  const body = Buffer.concat([Buffer.from('000174', 'hex'), Buffer.from([props.length]), props]);
  const bytes = Buffer.concat([Buffer.from([0x30, body.length]), body]);
  const fields = fieldsFromBytes(bytes, 5);
  assert.deepEqual(fields.properties, [['userProperty', ['a', '1']], ['userProperty', ['a', '3']],
    ['userProperty', ['b', '2']], ['subscriptionIdentifier', 1], ['subscriptionIdentifier', 2]]);
});

test('documented loss: an empty first user-property value is overwritten by a repeat', () => {
  const props = Buffer.from('260001610000' + '26000161000178', 'hex'); // up(a,"") up(a,"x")
  const body = Buffer.concat([Buffer.from('000174', 'hex'), Buffer.from([props.length]), props]);
  const fields = fieldsFromBytes(Buffer.concat([Buffer.from([0x30, body.length]), body]), 5);
  assert.deepEqual(fields.properties, [['userProperty', ['a', 'x']]]);
});

test('property helpers are inverse on lists without interleaving', () => {
  const list = [['contentType', 'x'], ['userProperty', ['k', 'v']], ['userProperty', ['k', 'w']],
    ['payloadFormatIndicator', 0], ['correlationData', 'ff00']];
  assert.deepEqual(propertiesFromMqttPacket(propertiesToMqttPacket(list)), list);
  assert.equal(propertiesToMqttPacket([]), undefined);
});

test('fieldsFromMqttPacket and mqttPacketFromFields agree on parser output', () => {
  const { packets } = parseWithMqttPacket('320f000773656e736f7273000100064f4b', 4);
  const fields = fieldsFromMqttPacket(packets[0], 4);
  const object = mqttPacketFromFields(fields, 4);
  assert.deepEqual(object, { cmd: 'publish', dup: false, qos: 1, retain: false, topic: 'sensors', payload: Buffer.from('00064f4b', 'hex'), messageId: 1 });
});

test('every valid golden vector survives fields -> generate -> parse (where generate can encode it)', () => {
  if (!fs.existsSync(VECTOR_DIR)) return;
  let checked = 0;
  for (const file of fs.readdirSync(VECTOR_DIR).filter((f) => f.endsWith('.json'))) {
    for (const vector of JSON.parse(fs.readFileSync(path.join(VECTOR_DIR, file), 'utf8'))) {
      if (vector.expect !== 'ok') continue;
      const bytes = generateWithMqttPacket(vector.fields, vector.version);
      assert.deepEqual(fieldsFromBytes(bytes, vector.version), vector.fields, vector.name);
      checked += 1;
    }
  }
  assert.ok(checked > 0);
});
