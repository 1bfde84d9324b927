// Random, spec-valid packets in the `fields` form of test/vectors/README.md, for the
// differential fuzzer. A seeded generator makes every run reproducible: the same seed gives
// the same packets. Properties are drawn from those the packet may carry (MQTT 5 §2.2.2.2)
// and put in an order mqtt-packet keeps (a repeated property's occurrences side by side).

/** mulberry32: small, fast, seeded; good enough to choose test cases. */
export function rng(seed) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (low, high) => low + Math.floor(next() * (high - low + 1));
  return {
    next,
    int,
    bool: (p = 0.5) => next() < p,
    pick: (list) => list[Math.floor(next() * list.length)],
  };
}

// Code points from every UTF-8 length, never U+0000 or a surrogate (MQTT-1.5.4-1, -2).
const ALPHABET = ["a", "b", "z", "0", "9", "-", "_", " ", "é", "ß", "Ж", "€", "中", "😀", "\u0001", "\u007f", "\uffff"];
const TOPIC_ALPHABET = ["a", "b", "c", "x", "1", "2", "é", "中", "😀", "$", " ", "-"];

function string(random, alphabet, maximum) {
  let text = "";
  const length = random.int(0, maximum);
  for (let i = 0; i < length; i++) text += random.pick(alphabet);
  return text;
}

function hex(random, maximum) {
  const length = random.int(0, maximum);
  const bytes = Buffer.alloc(length);
  for (let i = 0; i < length; i++) bytes[i] = random.int(0, 255);
  return bytes.toString("hex");
}

function topicName(random) {
  const levels = random.int(1, 5);
  const parts = [];
  for (let i = 0; i < levels; i++) parts.push(string(random, TOPIC_ALPHABET, 6));
  const name = parts.join("/");
  return name.length === 0 ? "t" : name;
}

function topicFilter(random) {
  const levels = random.int(1, 5);
  const parts = [];
  for (let i = 0; i < levels; i++) {
    const roll = random.next();
    parts.push(roll < 0.15 ? "+" : string(random, TOPIC_ALPHABET, 5));
  }
  if (random.bool(0.2)) parts.push("#");
  const filter = parts.join("/");
  return filter.length === 0 ? "#" : filter;
}

/** Value makers by property, for the properties a random packet may carry. */
const PROPERTY_VALUES = {
  payloadFormatIndicator: (r) => r.int(0, 1),
  messageExpiryInterval: (r) => r.pick([0, 1, 60, 65535, 4294967295, r.int(0, 4294967295)]),
  contentType: (r) => string(r, ALPHABET, 12),
  responseTopic: (r) => topicName(r),
  correlationData: (r) => hex(r, 16),
  subscriptionIdentifier: (r) => r.pick([1, 127, 128, 16383, 16384, 268435455, r.int(1, 268435455)]),
  sessionExpiryInterval: (r) => r.pick([0, 60, 4294967295, r.int(0, 4294967295)]),
  assignedClientIdentifier: (r) => string(r, ALPHABET, 23),
  serverKeepAlive: (r) => r.int(0, 65535),
  authenticationMethod: (r) => string(r, ALPHABET, 10),
  authenticationData: (r) => hex(r, 16),
  requestProblemInformation: (r) => r.int(0, 1),
  willDelayInterval: (r) => r.int(0, 4294967295),
  requestResponseInformation: (r) => r.int(0, 1),
  responseInformation: (r) => string(r, ALPHABET, 10),
  serverReference: (r) => string(r, ALPHABET, 10),
  reasonString: (r) => string(r, ALPHABET, 20),
  receiveMaximum: (r) => r.int(1, 65535),
  topicAliasMaximum: (r) => r.int(0, 65535),
  topicAlias: (r) => r.int(1, 65535),
  maximumQos: (r) => r.int(0, 1),
  retainAvailable: (r) => r.int(0, 1),
  maximumPacketSize: (r) => r.pick([1, 128, 268435460, 4294967295, r.int(1, 4294967295)]),
  wildcardSubscriptionAvailable: (r) => r.int(0, 1),
  subscriptionIdentifierAvailable: (r) => r.int(0, 1),
  sharedSubscriptionAvailable: (r) => r.int(0, 1),
};

/** Properties each packet may carry besides userProperty (MQTT 5 §2.2.2.2). */
const ALLOWED = {
  will: ["payloadFormatIndicator", "messageExpiryInterval", "contentType", "responseTopic", "correlationData", "willDelayInterval"],
  connect: ["sessionExpiryInterval", "authenticationMethod", "authenticationData", "requestProblemInformation",
    "requestResponseInformation", "receiveMaximum", "topicAliasMaximum", "maximumPacketSize"],
  connack: ["sessionExpiryInterval", "assignedClientIdentifier", "serverKeepAlive", "authenticationMethod",
    "authenticationData", "responseInformation", "serverReference", "reasonString", "receiveMaximum",
    "topicAliasMaximum", "maximumQos", "retainAvailable", "maximumPacketSize", "wildcardSubscriptionAvailable",
    "subscriptionIdentifierAvailable", "sharedSubscriptionAvailable"],
  publish: ["payloadFormatIndicator", "messageExpiryInterval", "contentType", "responseTopic", "correlationData",
    "subscriptionIdentifier", "topicAlias"],
  ack: ["reasonString"],
  subscribe: ["subscriptionIdentifier"],
  unsubscribe: [],
  disconnect: ["sessionExpiryInterval", "serverReference", "reasonString"],
  auth: ["authenticationMethod", "authenticationData", "reasonString"],
};

function properties(random, kind, version) {
  if (version !== 5) return undefined;
  const list = [];
  const names = ALLOWED[kind].filter(() => random.bool(0.3));
  // Shuffle, so every order of distinct properties is tried.
  for (let i = names.length - 1; i > 0; i--) {
    const j = random.int(0, i);
    [names[i], names[j]] = [names[j], names[i]];
  }
  for (const name of names) {
    const repeat = name === "subscriptionIdentifier" && kind === "publish" ? random.int(1, 3) : 1;
    for (let i = 0; i < repeat; i++) list.push([name, PROPERTY_VALUES[name](random)]);
  }
  if (random.bool(0.3)) {
    // User properties grouped by name, names distinct: the order mqtt-packet can reproduce.
    const count = random.int(1, 3);
    const at = random.int(0, list.length);
    const pairs = [];
    for (let i = 0; i < count; i++) pairs.push(["userProperty", [`k${i}${string(random, ALPHABET, 3)}`, string(random, ALPHABET, 8) || "v"]]);
    list.splice(at, 0, ...pairs);
  }
  return list;
}

const REASONS = {
  connack: [0x00, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8c, 0x90, 0x95, 0x97, 0x99, 0x9a, 0x9b, 0x9c, 0x9d, 0x9f],
  puback: [0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99],
  pubrel: [0x00, 0x92],
  suback: [0x00, 0x01, 0x02, 0x80, 0x83, 0x87, 0x8f, 0x91, 0x97, 0x9e, 0xa1, 0xa2],
  unsuback: [0x00, 0x11, 0x80, 0x83, 0x87, 0x8f, 0x91],
  disconnect: [0x00, 0x04, 0x80, 0x81, 0x82, 0x83, 0x87, 0x89, 0x8b, 0x8d, 0x8e, 0x8f, 0x90, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0x9b, 0x9c, 0x9d, 0x9e, 0x9f, 0xa0, 0xa1, 0xa2],
  auth: [0x00, 0x18, 0x19],
};

function withProperties(fields, list) {
  if (list !== undefined) fields.properties = list;
  return fields;
}

/** One random valid packet: { version, fields }. */
export function randomPacket(random) {
  const version = random.pick([3, 4, 5, 5]);
  const types = ["connect", "connack", "publish", "publish", "publish", "puback", "pubrec", "pubrel", "pubcomp",
    "subscribe", "suback", "unsubscribe", "unsuback", "pingreq", "pingresp", "disconnect"];
  if (version === 5) types.push("auth");
  const type = random.pick(types);
  const packetId = random.pick([1, 2, 255, 256, 65535, random.int(1, 65535)]);
  switch (type) {
    case "connect": {
      const willFlag = random.bool(0.4);
      const usernameFlag = random.bool(0.5);
      const fields = {
        type, protocolName: version === 3 ? "MQIsdp" : "MQTT", protocolVersion: version,
        cleanStart: random.bool(), keepAlive: random.pick([0, 10, 60, 65535, random.int(0, 65535)]),
        clientId: string(random, ALPHABET, 23),
        will: willFlag ? withProperties({ topic: topicName(random), payload: hex(random, 40), qos: random.int(0, 2), retain: random.bool() },
          properties(random, "will", version)) : null,
        username: usernameFlag ? string(random, ALPHABET, 12) : null,
        password: usernameFlag || version === 5 ? (random.bool() ? hex(random, 12) : null) : null,
      };
      if (fields.clientId === "" && !fields.cleanStart) fields.clientId = "c";
      return { version, fields: withProperties(fields, properties(random, "connect", version)) };
    }
    case "connack": {
      const reasonCode = version === 5 ? random.pick(REASONS.connack) : random.int(0, 5);
      return { version, fields: withProperties({ type, sessionPresent: reasonCode === 0 && random.bool(), reasonCode },
        properties(random, "connack", version)) };
    }
    case "publish": {
      const qos = random.int(0, 2);
      const size = random.pick([0, 1, 13, 64, 127, 200, 16400]);
      const payload = Buffer.alloc(size, random.int(0, 255)).toString("hex");
      return { version, fields: withProperties({ type, dup: qos > 0 && random.bool(0.2), qos, retain: random.bool(),
        topic: topicName(random), packetId: qos > 0 ? packetId : 0, payload }, properties(random, "publish", version)) };
    }
    case "puback": case "pubrec": case "pubrel": case "pubcomp": {
      const codes = type === "puback" || type === "pubrec" ? REASONS.puback : REASONS.pubrel;
      const fields = { type, packetId, reasonCode: version === 5 ? random.pick(codes) : 0 };
      return { version, fields: withProperties(fields, properties(random, "ack", version)) };
    }
    case "subscribe": {
      const subscriptions = [];
      for (let i = random.int(1, 4); i > 0; i--) {
        subscriptions.push({ topicFilter: topicFilter(random), qos: random.int(0, 2),
          noLocal: version === 5 && random.bool(), retainAsPublished: version === 5 && random.bool(),
          retainHandling: version === 5 ? random.int(0, 2) : 0 });
      }
      return { version, fields: withProperties({ type, packetId, subscriptions }, properties(random, "subscribe", version)) };
    }
    case "suback": {
      const reasonCodes = [];
      for (let i = random.int(1, 4); i > 0; i--) reasonCodes.push(version === 5 ? random.pick(REASONS.suback) : random.pick([0, 1, 2, 0x80]));
      return { version, fields: withProperties({ type, packetId, reasonCodes }, properties(random, "ack", version)) };
    }
    case "unsubscribe": {
      const topicFilters = [];
      for (let i = random.int(1, 4); i > 0; i--) topicFilters.push(topicFilter(random));
      return { version, fields: withProperties({ type, packetId, topicFilters }, properties(random, "unsubscribe", version)) };
    }
    case "unsuback": {
      const reasonCodes = [];
      if (version === 5) for (let i = random.int(1, 4); i > 0; i--) reasonCodes.push(random.pick(REASONS.unsuback));
      return { version, fields: withProperties({ type, packetId, reasonCodes }, properties(random, "ack", version)) };
    }
    case "pingreq": case "pingresp":
      return { version, fields: { type } };
    case "disconnect": case "auth":
      if (version !== 5) return { version, fields: { type } };
      return { version, fields: { type, reasonCode: random.pick(REASONS[type]), properties: properties(random, type, version) } };
  }
  throw new Error(`no generator for ${type}`);
}
