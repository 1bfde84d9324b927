/**
 * Bridge between `mqtt-packet` 9.0.2 packet objects and the `fields` objects of our golden
 * vectors (test/vectors/README.md).
 *
 *   fieldsFromMqttPacket(packet, version)  mqtt-packet parser output -> our `fields`
 *   mqttPacketFromFields(fields, version)  our `fields` -> an object mqtt-packet's generate() takes
 *   parseWithMqttPacket(bytes, version)    run mqtt-packet's parser over a byte string
 *   generateWithMqttPacket(fields, version) fields -> bytes, through mqtt-packet's generate()
 *
 * `fields` keys come in the README's order; `type` (the packet type in lower case) always comes
 * first. Binary values are lower-case hex. Properties exist only for version 5 and are an
 * ordered list of [name, value] pairs, `userProperty` values being [name, value].
 *
 * What mqtt-packet loses, so what these functions cannot restore (all about v5 properties):
 *
 *  1. Repeated properties are merged. mqtt-packet's `properties` object is built in wire order,
 *     one key per property name, so the second and later occurrences of a name land at the
 *     position of the first one. `userProperties` becomes { name: value | [values…] } and a
 *     repeated `subscriptionIdentifier` becomes an array. We expand each back to one pair per
 *     occurrence at the position of the name's first occurrence: user properties are grouped
 *     by name (names in order of first appearance, values in wire order). Interleavings such
 *     as `up(a) up(b) up(a)` or `subId up(x) subId` come back as `up(a) up(a) up(b)` and
 *     `subId subId up(x)`.
 *  2. User-property names that are canonical array indices ("0", "7", "42") are enumerated by
 *     JavaScript before all other names, in numeric order, whatever their wire order.
 *  3. The parser tests `if (result[name])` for truthiness: a user property whose first value is
 *     "" is overwritten, not appended to, by a later one with the same name; likewise a
 *     repeated property whose first value is 0 or false. (Only matters for `up(a,"") up(a,x)`
 *     in valid packets.)
 *  4. Boolean-byte properties (payloadFormatIndicator, requestProblemInformation,
 *     requestResponseInformation, retainAvailable, wildcardSubscriptionAvailable,
 *     subscriptionIdentifiersAvailable, sharedSubscriptionAvailable) are parsed as `byte != 0`,
 *     so 2…255 read as true and come back as 1.
 *  5. Strings are decoded with Buffer#toString('utf8'): ill-formed UTF-8 becomes U+FFFD.
 *
 * And in the other direction (mqttPacketFromFields + generate):
 *  - generate() writes a v5 PUBACK/PUBREC/PUBREL/PUBCOMP with a non-zero reason code and no
 *    properties in the 4-byte form (reason code + property length 0), never the 3-byte short
 *    form; and a v5 DISCONNECT or AUTH always with reason code and property length, never the
 *    0- or 1-byte short forms. Compare fields, not bytes, for those.
 *  - generate() refuses a CONNECT with an empty client id and cleanStart false, a password
 *    without a user name, and a boolean-byte property value other than 0/1.
 *  - user properties are written grouped by name (see 1.).
 *
 * Self-test: node --test test/support/mqtt_packet_fields.test.mjs
 */
import mqttPacket from 'mqtt-packet';

/** mqtt-packet's property name -> ours. */
const PROPERTY_NAME_FROM_MQTT_PACKET = {
  payloadFormatIndicator: 'payloadFormatIndicator',
  messageExpiryInterval: 'messageExpiryInterval',
  contentType: 'contentType',
  responseTopic: 'responseTopic',
  correlationData: 'correlationData',
  subscriptionIdentifier: 'subscriptionIdentifier',
  sessionExpiryInterval: 'sessionExpiryInterval',
  assignedClientIdentifier: 'assignedClientIdentifier',
  serverKeepAlive: 'serverKeepAlive',
  authenticationMethod: 'authenticationMethod',
  authenticationData: 'authenticationData',
  requestProblemInformation: 'requestProblemInformation',
  willDelayInterval: 'willDelayInterval',
  requestResponseInformation: 'requestResponseInformation',
  responseInformation: 'responseInformation',
  serverReference: 'serverReference',
  reasonString: 'reasonString',
  receiveMaximum: 'receiveMaximum',
  topicAliasMaximum: 'topicAliasMaximum',
  topicAlias: 'topicAlias',
  maximumQoS: 'maximumQos',
  retainAvailable: 'retainAvailable',
  userProperties: 'userProperty',
  maximumPacketSize: 'maximumPacketSize',
  wildcardSubscriptionAvailable: 'wildcardSubscriptionAvailable',
  subscriptionIdentifiersAvailable: 'subscriptionIdentifierAvailable',
  sharedSubscriptionAvailable: 'sharedSubscriptionAvailable',
};

/** Ours -> mqtt-packet's. */
const PROPERTY_NAME_TO_MQTT_PACKET = Object.fromEntries(
  Object.entries(PROPERTY_NAME_FROM_MQTT_PACKET).map(([theirs, ours]) => [ours, theirs]));

/** Our property names whose values are binary data (hex in fields, Buffer in mqtt-packet). */
const BINARY_PROPERTIES = new Set(['correlationData', 'authenticationData']);

/** Our property names that mqtt-packet models as booleans (a byte that must be 0 or 1). */
const BOOLEAN_PROPERTIES = new Set([
  'payloadFormatIndicator', 'requestProblemInformation', 'requestResponseInformation',
  'retainAvailable', 'wildcardSubscriptionAvailable', 'subscriptionIdentifierAvailable',
  'sharedSubscriptionAvailable',
]);

/** Every property name of the README, in the README's order. */
export const PROPERTY_NAMES = Object.freeze(Object.values(PROPERTY_NAME_FROM_MQTT_PACKET));

/** Packet type names as used in `fields.type`, indexed by the fixed-header type nibble. */
export const PACKET_TYPES = Object.freeze([
  'reserved', 'connect', 'connack', 'publish', 'puback', 'pubrec', 'pubrel', 'pubcomp',
  'subscribe', 'suback', 'unsubscribe', 'unsuback', 'pingreq', 'pingresp', 'disconnect', 'auth',
]);

const hex = (buffer) => Buffer.from(buffer).toString('hex');
const unhex = (text) => Buffer.from(text, 'hex');

/** mqtt-packet `properties` object (or undefined) -> our ordered list of [name, value]. */
export function propertiesFromMqttPacket(properties) {
  const list = [];
  if (properties === undefined || properties === null) return list;
  for (const theirName of Object.keys(properties)) {
    const name = PROPERTY_NAME_FROM_MQTT_PACKET[theirName];
    if (name === undefined) throw new Error(`unknown mqtt-packet property ${theirName}`);
    const value = properties[theirName];
    if (name === 'userProperty') {
      for (const key of Object.keys(value)) {
        const values = Array.isArray(value[key]) ? value[key] : [value[key]];
        for (const item of values) list.push(['userProperty', [key, String(item)]]);
      }
      continue;
    }
    for (const item of Array.isArray(value) ? value : [value]) {
      if (BINARY_PROPERTIES.has(name)) list.push([name, hex(item)]);
      else if (BOOLEAN_PROPERTIES.has(name)) list.push([name, item ? 1 : 0]);
      else list.push([name, item]);
    }
  }
  return list;
}

/** Our ordered list of [name, value] -> mqtt-packet `properties` object, or undefined if empty. */
export function propertiesToMqttPacket(list) {
  if (!list || list.length === 0) return undefined;
  const properties = {};
  for (const [name, value] of list) {
    const theirName = PROPERTY_NAME_TO_MQTT_PACKET[name];
    if (theirName === undefined) throw new Error(`unknown property ${name}`);
    if (name === 'userProperty') {
      const [key, text] = value;
      const pairs = properties.userProperties ??= Object.create(null);
      if (key in pairs) pairs[key] = [].concat(pairs[key], text);
      else pairs[key] = text;
      continue;
    }
    let converted = value;
    if (BINARY_PROPERTIES.has(name)) converted = unhex(value);
    else if (BOOLEAN_PROPERTIES.has(name)) converted = value !== 0;
    if (theirName in properties) properties[theirName] = [].concat(properties[theirName], converted);
    else properties[theirName] = converted;
  }
  return properties;
}

/**
 * Convert a packet object emitted by `mqtt-packet`'s parser (created with
 * `mqtt.parser({ protocolVersion: version })`) to our `fields` object.
 * `version` is the protocol level the receiver decodes with (3, 4, 5); a CONNECT uses its own.
 */
export function fieldsFromMqttPacket(packet, version) {
  const v5 = version === 5;
  const withProperties = (fields, properties) => {
    if (v5) fields.properties = propertiesFromMqttPacket(properties);
    return fields;
  };
  switch (packet.cmd) {
    case 'connect': {
      const own5 = packet.protocolVersion === 5;
      const fields = {
        type: 'connect',
        protocolName: packet.protocolId,
        protocolVersion: packet.protocolVersion,
        ...(packet.bridgeMode ? { bridge: true } : {}),
        cleanStart: packet.clean,
        keepAlive: packet.keepalive,
        clientId: packet.clientId,
        will: null,
        username: packet.username === undefined ? null : packet.username,
        password: packet.password === undefined ? null : hex(packet.password),
      };
      if (packet.will) {
        fields.will = {
          topic: packet.will.topic,
          payload: hex(packet.will.payload),
          qos: packet.will.qos,
          retain: packet.will.retain,
        };
        if (own5) fields.will.properties = propertiesFromMqttPacket(packet.will.properties);
      }
      if (own5) fields.properties = propertiesFromMqttPacket(packet.properties);
      return fields;
    }
    case 'connack':
      return withProperties({
        type: 'connack',
        sessionPresent: packet.sessionPresent,
        reasonCode: v5 ? packet.reasonCode : packet.returnCode,
      }, packet.properties);
    case 'publish':
      return withProperties({
        type: 'publish',
        dup: packet.dup,
        qos: packet.qos,
        retain: packet.retain,
        topic: packet.topic,
        packetId: packet.qos > 0 ? packet.messageId : 0,
        payload: hex(packet.payload),
      }, packet.properties);
    case 'puback':
    case 'pubrec':
    case 'pubrel':
    case 'pubcomp':
      // Before 5.0 there is no reason code on the wire: 0 (success) is what it means.
      return withProperties({
        type: packet.cmd,
        packetId: packet.messageId,
        reasonCode: v5 ? (packet.reasonCode ?? 0) : 0,
      }, packet.properties);
    case 'subscribe':
      return withProperties({
        type: 'subscribe',
        packetId: packet.messageId,
        subscriptions: packet.subscriptions.map((s) => ({
          topicFilter: s.topic,
          qos: s.qos,
          noLocal: Boolean(s.nl),
          retainAsPublished: Boolean(s.rap),
          retainHandling: s.rh ?? 0,
        })),
      }, packet.properties);
    case 'suback':
      return withProperties({
        type: 'suback',
        packetId: packet.messageId,
        reasonCodes: [...packet.granted],
      }, packet.properties);
    case 'unsubscribe':
      return withProperties({
        type: 'unsubscribe',
        packetId: packet.messageId,
        topicFilters: [...packet.unsubscriptions],
      }, packet.properties);
    case 'unsuback':
      return withProperties({
        type: 'unsuback',
        packetId: packet.messageId,
        reasonCodes: v5 ? [...packet.granted] : [],
      }, packet.properties);
    case 'pingreq':
    case 'pingresp':
      return { type: packet.cmd };
    case 'disconnect':
      if (!v5) return { type: 'disconnect' };
      return withProperties({ type: 'disconnect', reasonCode: packet.reasonCode ?? 0 }, packet.properties);
    case 'auth':
      return withProperties({ type: 'auth', reasonCode: packet.reasonCode ?? 0 }, packet.properties);
    default:
      throw new Error(`unknown mqtt-packet cmd ${packet.cmd}`);
  }
}

/**
 * Convert our `fields` to an object that `mqtt-packet`'s `generate(object, { protocolVersion })`
 * accepts. `version` is the protocol level to encode with; a CONNECT uses its own.
 */
export function mqttPacketFromFields(fields, version) {
  const v5 = version === 5;
  const put = (packet, key, value) => { if (value !== undefined) packet[key] = value; return packet; };
  const props = (packet) => (v5 ? put(packet, 'properties', propertiesToMqttPacket(fields.properties)) : packet);
  switch (fields.type) {
    case 'connect': {
      const bridge = fields.bridge === true;
      const level = fields.protocolVersion;
      const packet = {
        cmd: 'connect',
        protocolId: fields.protocolName,
        protocolVersion: level,
        clean: fields.cleanStart,
        keepalive: fields.keepAlive,
        clientId: fields.clientId,
      };
      if (bridge) packet.bridgeMode = true;
      if (fields.will) {
        packet.will = {
          topic: fields.will.topic,
          payload: unhex(fields.will.payload),
          qos: fields.will.qos,
          retain: fields.will.retain,
        };
        if (level === 5) put(packet.will, 'properties', propertiesToMqttPacket(fields.will.properties));
      }
      if (fields.username !== null) packet.username = fields.username;
      if (fields.password !== null) packet.password = unhex(fields.password);
      if (level === 5) put(packet, 'properties', propertiesToMqttPacket(fields.properties));
      return packet;
    }
    case 'connack': {
      const packet = { cmd: 'connack', sessionPresent: fields.sessionPresent };
      if (v5) packet.reasonCode = fields.reasonCode;
      else packet.returnCode = fields.reasonCode;
      return props(packet);
    }
    case 'publish': {
      const packet = {
        cmd: 'publish',
        dup: fields.dup,
        qos: fields.qos,
        retain: fields.retain,
        topic: fields.topic,
        payload: unhex(fields.payload),
      };
      if (fields.qos > 0) packet.messageId = fields.packetId;
      return props(packet);
    }
    case 'puback':
    case 'pubrec':
    case 'pubrel':
    case 'pubcomp': {
      const packet = { cmd: fields.type, messageId: fields.packetId };
      if (v5) packet.reasonCode = fields.reasonCode;
      return props(packet);
    }
    case 'subscribe':
      return props({
        cmd: 'subscribe',
        messageId: fields.packetId,
        subscriptions: fields.subscriptions.map((s) => (v5
          ? { topic: s.topicFilter, qos: s.qos, nl: s.noLocal, rap: s.retainAsPublished, rh: s.retainHandling }
          : { topic: s.topicFilter, qos: s.qos })),
      });
    case 'suback':
      return props({ cmd: 'suback', messageId: fields.packetId, granted: [...fields.reasonCodes] });
    case 'unsubscribe':
      return props({ cmd: 'unsubscribe', messageId: fields.packetId, unsubscriptions: [...fields.topicFilters] });
    case 'unsuback': {
      const packet = { cmd: 'unsuback', messageId: fields.packetId };
      if (v5) packet.granted = [...fields.reasonCodes];
      return props(packet);
    }
    case 'pingreq':
    case 'pingresp':
      return { cmd: fields.type };
    case 'disconnect':
      return v5 ? props({ cmd: 'disconnect', reasonCode: fields.reasonCode }) : { cmd: 'disconnect' };
    case 'auth':
      return props({ cmd: 'auth', reasonCode: fields.reasonCode });
    default:
      throw new Error(`unknown fields type ${fields.type}`);
  }
}

/**
 * Run mqtt-packet's parser (protocolVersion = version) over `bytes` (Buffer or hex string).
 * Returns { packets: [...], error: Error|null, rest: number of bytes the parser still holds }.
 * The parser works synchronously, so everything is known when parse() returns.
 */
export function parseWithMqttPacket(bytes, version) {
  const buffer = typeof bytes === 'string' ? unhex(bytes) : Buffer.from(bytes);
  const parser = mqttPacket.parser({ protocolVersion: version });
  const packets = [];
  let error = null;
  parser.on('packet', (packet) => packets.push(packet));
  parser.on('error', (err) => { error ??= err; });
  let rest = 0;
  try {
    rest = parser.parse(buffer);
  } catch (err) { // mqtt-packet can throw (e.g. RangeError) on some truncated input
    error ??= err;
  }
  return { packets, error, rest };
}

/** Parse exactly one packet and return its fields; throws if mqtt-packet refuses or leaves bytes. */
export function fieldsFromBytes(bytes, version) {
  const { packets, error, rest } = parseWithMqttPacket(bytes, version);
  if (error) throw error;
  if (packets.length !== 1 || rest !== 0) {
    throw new Error(`expected one whole packet, got ${packets.length} and ${rest} bytes left`);
  }
  return fieldsFromMqttPacket(packets[0], version);
}

/**
 * Encode our fields with mqtt-packet's generate(); returns a Buffer. generate() reports a refusal
 * through its accumulator's destroy(err), which emits 'error' with no listener: it throws.
 */
export function generateWithMqttPacket(fields, version) {
  const packet = mqttPacketFromFields(fields, version);
  const level = fields.type === 'connect' ? fields.protocolVersion : version;
  return mqttPacket.generate(packet, { protocolVersion: level });
}
