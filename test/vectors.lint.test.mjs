/**
 * Lint of the golden vectors in test/vectors/*.json against test/vectors/README.md:
 * required keys and their types, lower-case even-length hex, `expect` either "ok" or an error
 * exported by firmware/core/errors.ts, non-empty provenance, fields only (and always) on valid
 * vectors, field keys in the README's order, valid vectors re-parsed by mqtt-packet to the same
 * fields, and no duplicate names or (version, hex) pairs.
 *
 * Run: node --test test/vectors.lint.test.mjs
 * Regenerate the vectors: node tools/vectors/capture.mjs (see its header).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { PROPERTY_NAMES, fieldsFromBytes } from './support/mqtt_packet_fields.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const VECTOR_DIR = path.join(ROOT, 'test/vectors');
const ERRORS_TS = path.join(ROOT, 'firmware/core/errors.ts');

const FAMILY_TYPES = {
  connect: ['connect'], connack: ['connack'], publish: ['publish'],
  ack: ['puback', 'pubrec', 'pubrel', 'pubcomp'], subscribe: ['subscribe'], suback: ['suback'],
  unsubscribe: ['unsubscribe'], unsuback: ['unsuback'], ping: ['pingreq', 'pingresp'],
  disconnect: ['disconnect'], auth: ['auth'],
};

/** The README's field table: keys after `type`, in order; `properties` only for version 5. */
const FIELD_KEYS = {
  connect: ['protocolName', 'protocolVersion', 'cleanStart', 'keepAlive', 'clientId', 'will', 'username', 'password', 'properties'],
  connack: ['sessionPresent', 'reasonCode', 'properties'],
  publish: ['dup', 'qos', 'retain', 'topic', 'packetId', 'payload', 'properties'],
  puback: ['packetId', 'reasonCode', 'properties'],
  pubrec: ['packetId', 'reasonCode', 'properties'],
  pubrel: ['packetId', 'reasonCode', 'properties'],
  pubcomp: ['packetId', 'reasonCode', 'properties'],
  subscribe: ['packetId', 'subscriptions', 'properties'],
  suback: ['packetId', 'reasonCodes', 'properties'],
  unsubscribe: ['packetId', 'topicFilters', 'properties'],
  unsuback: ['packetId', 'reasonCodes', 'properties'],
  pingreq: [],
  pingresp: [],
  disconnect: ['reasonCode', 'properties'],
  auth: ['reasonCode', 'properties'],
};
const VECTOR_KEYS = new Set(['name', 'version', 'hex', 'fields', 'provenance', 'expect', 'maxPacketSize', 'note', 'canonical']);
const HEX = /^(?:[0-9a-f]{2})*$/;

const errorNames = new Set([...fs.readFileSync(ERRORS_TS, 'utf8').matchAll(/export const (ERR_[A-Z0-9_]+)\s*:/g)].map((m) => m[1]));
const files = fs.readdirSync(VECTOR_DIR).filter((f) => f.endsWith('.json')).sort();
const all = files.flatMap((file) => JSON.parse(fs.readFileSync(path.join(VECTOR_DIR, file), 'utf8'))
  .map((vector, index) => ({ file, family: file.slice(0, -5), index, vector })));
const label = ({ file, index, vector }) => `${file}[${index}] ${vector?.name ?? ''}`;

function expectedKeys(type, version) {
  const keys = ['type', ...FIELD_KEYS[type]];
  if (version !== 5) {
    keys.splice(keys.indexOf('properties'), keys.includes('properties') ? 1 : 0);
    if (type === 'disconnect') return ['type'];
  }
  return keys;
}

function checkProperties(list, where) {
  assert.ok(Array.isArray(list), `${where}: properties is a list`);
  for (const pair of list) {
    assert.ok(Array.isArray(pair) && pair.length === 2, `${where}: property is a [name, value] pair`);
    const [name, value] = pair;
    assert.ok(PROPERTY_NAMES.includes(name), `${where}: unknown property ${name}`);
    if (name === 'userProperty') {
      assert.ok(Array.isArray(value) && value.length === 2 && value.every((s) => typeof s === 'string'), `${where}: userProperty value is [name, value]`);
    } else if (name === 'correlationData' || name === 'authenticationData') {
      assert.match(value, HEX, `${where}: ${name} is lower-case hex`);
    } else if (typeof value === 'number') {
      assert.ok(Number.isInteger(value) && value >= 0, `${where}: ${name} is an unsigned integer`);
    } else {
      assert.equal(typeof value, 'string', `${where}: ${name} is a string or a number`);
    }
  }
}

test('every family file of the README exists and holds an array', () => {
  for (const family of Object.keys(FAMILY_TYPES)) {
    assert.ok(files.includes(`${family}.json`), `test/vectors/${family}.json is missing`);
  }
  for (const file of files) {
    assert.ok(Array.isArray(JSON.parse(fs.readFileSync(path.join(VECTOR_DIR, file), 'utf8'))), file);
    assert.ok(Object.hasOwn(FAMILY_TYPES, file.slice(0, -5)), `${file} is not a family of the README`);
  }
});

test('errors.ts exports error names', () => {
  assert.ok(errorNames.size > 10);
});

test('every vector has the required keys with the right types', () => {
  for (const entry of all) {
    const { vector } = entry;
    const where = label(entry);
    for (const key of Object.keys(vector)) assert.ok(VECTOR_KEYS.has(key), `${where}: unknown key ${key}`);
    assert.equal(typeof vector.name, 'string', `${where}: name`);
    assert.match(vector.name, /^[a-z0-9_]+$/, `${where}: name is lower_snake_case`);
    assert.ok([3, 4, 5].includes(vector.version), `${where}: version is 3, 4 or 5`);
    assert.equal(typeof vector.hex, 'string', `${where}: hex`);
    assert.ok(vector.hex.length > 0 && vector.hex.length % 2 === 0, `${where}: hex has an even, non-zero length`);
    assert.match(vector.hex, HEX, `${where}: hex is lower-case hex`);
    assert.equal(typeof vector.provenance, 'string', `${where}: provenance`);
    assert.ok(vector.provenance.trim().length > 0, `${where}: provenance is not empty`);
    assert.ok(vector.expect === 'ok' || errorNames.has(vector.expect), `${where}: expect ${vector.expect} is "ok" or an error of errors.ts`);
    if ('maxPacketSize' in vector) assert.ok(Number.isInteger(vector.maxPacketSize) && vector.maxPacketSize > 0, `${where}: maxPacketSize`);
    if ('note' in vector) assert.ok(typeof vector.note === 'string' && vector.note.length > 0, `${where}: note`);
    if ('canonical' in vector) assert.equal(vector.canonical, false, `${where}: canonical is only ever written as false`);
    if (vector.expect === 'ok') assert.ok(vector.fields && typeof vector.fields === 'object', `${where}: a valid vector has fields`);
    else assert.ok(!('fields' in vector), `${where}: a malformed vector has no fields`);
  }
});

test('valid vectors: fields keys in the README order, types, family', () => {
  for (const entry of all.filter((e) => e.vector.expect === 'ok')) {
    const { vector } = entry;
    const where = label(entry);
    const { fields } = vector;
    assert.ok(FIELD_KEYS[fields.type], `${where}: unknown type ${fields.type}`);
    assert.ok(FAMILY_TYPES[entry.family].includes(fields.type), `${where}: a ${fields.type} in ${entry.file}`);
    const level = fields.type === 'connect' ? fields.protocolVersion : vector.version;
    if (fields.type === 'connect') assert.equal(fields.protocolVersion, vector.version, `${where}: version repeats the CONNECT level`);
    assert.deepEqual(Object.keys(fields), expectedKeys(fields.type, level), `${where}: field keys and order`);
    if (level === 5 && 'properties' in fields) checkProperties(fields.properties, where);
    if (fields.type === 'connect') {
      if (fields.will !== null) {
        assert.deepEqual(Object.keys(fields.will), level === 5 ? ['topic', 'payload', 'qos', 'retain', 'properties'] : ['topic', 'payload', 'qos', 'retain'], `${where}: will keys`);
        assert.match(fields.will.payload, HEX, `${where}: will payload is hex`);
        if (level === 5) checkProperties(fields.will.properties, `${where} will`);
      }
      if (fields.password !== null) assert.match(fields.password, HEX, `${where}: password is hex`);
    }
    if (fields.type === 'publish') {
      assert.match(fields.payload, HEX, `${where}: payload is hex`);
      if (fields.qos === 0) assert.equal(fields.packetId, 0, `${where}: packetId 0 for QoS 0`);
    }
    if (fields.type === 'subscribe') {
      for (const s of fields.subscriptions) {
        assert.deepEqual(Object.keys(s), ['topicFilter', 'qos', 'noLocal', 'retainAsPublished', 'retainHandling'], `${where}: subscription keys`);
      }
    }
    if (fields.type === 'unsuback' && vector.version !== 5) assert.deepEqual(fields.reasonCodes, [], `${where}: no reason codes before 5.0`);
  }
});

test('valid vectors re-parse with mqtt-packet to the same fields', () => {
  for (const entry of all.filter((e) => e.vector.expect === 'ok')) {
    const { vector } = entry;
    if (vector.note?.startsWith('mqtt-packet 9.0.2 refuses this')) {
      // A spec-valid packet the reference codec cannot read: check that it still cannot.
      assert.throws(() => fieldsFromBytes(vector.hex, vector.version), undefined, `${label(entry)}: mqtt-packet now reads it`);
      continue;
    }
    const fields = fieldsFromBytes(vector.hex, vector.version);
    // JSON comparison also checks the key order.
    assert.equal(JSON.stringify(fields), JSON.stringify(vector.fields), label(entry));
  }
});

test('no duplicate names, no duplicate (version, hex) pairs', () => {
  const names = new Map();
  const pairs = new Map();
  for (const entry of all) {
    const { vector } = entry;
    assert.ok(!names.has(vector.name), `${label(entry)}: name also used by ${names.get(vector.name)}`);
    names.set(vector.name, label(entry));
    const key = `${vector.version}:${vector.hex}:${vector.maxPacketSize ?? ''}`;
    assert.ok(!pairs.has(key), `${label(entry)}: same version and bytes as ${pairs.get(key)}`);
    pairs.set(key, label(entry));
  }
});

test('the vector set covers every packet type in every version it exists in', () => {
  const seen = new Set(all.filter((e) => e.vector.expect === 'ok').map((e) => `${e.vector.fields.type}:${e.vector.version}`));
  for (const type of Object.keys(FIELD_KEYS)) {
    for (const version of type === 'auth' ? [5] : [3, 4, 5]) {
      assert.ok(seen.has(`${type}:${version}`), `no valid ${type} vector for version ${version}`);
    }
  }
});
