/**
 * The bridge section of mosquitto.conf (mosquitto.conf(5) "Configuring Bridges", 2.0.11), read
 * for tools/gateway/config.mjs: `connection <name>` starts a bridge, and the bridge options after
 * it configure that bridge. Each bridge becomes:
 *
 *   { name, line, addresses: [{ host, port }], topics: [{ pattern, direction, qos, localPrefix,
 *     remotePrefix, line }], remoteClientId, remoteUsername, remotePassword, localClientId,
 *     localUsername, cleanSession,
 *     protocolVersion (3 | 4 | 5), keepalive, tryPrivate, restartTimeout: { minMs, maxMs },
 *     notifications, notificationTopic, tls: null | { cafile, certfile, keyfile, insecure },
 *     queueMax, queueBytesMax, queuePolicies: [{ pattern, policy }] }
 *
 * Mosquitto's options keep their meaning. wrenmq adds three, all about what the bridge keeps
 * while the upstream is unreachable (Mosquitto's answer is max_queued_messages for everything):
 *   bridge_max_queued_messages <count>   messages kept for the upstream (default 1000)
 *   bridge_max_queued_bytes <bytes>      their bytes (default 4 MB, at most 32 MB)
 *   bridge_queue_policy <pattern> keep-all | latest | drop-oldest
 *       what gives way for a message on a local topic matching <pattern> when the queue is
 *       full: keep-all refuses the new message (the default, Mosquitto's behaviour); latest keeps
 *       only the newest unsent message per topic (sensor readings); drop-oldest drops the
 *       oldest unsent message. The first matching line applies.
 */
import path from 'node:path';
import { optionNames, REFUSED, SUPPORTED } from './options.mjs';

const DIRECTIONS = ['out', 'in', 'both'];
const VERSIONS = { mqttv31: 3, mqttv311: 4, mqttv50: 5 };
const POLICIES = ['keep-all', 'latest', 'drop-oldest'];
/**
 * The bridge options, with their status in the one option table (options.mjs): config.mjs sends
 * every bridge-section option here except the ignored ones, which it checks and warns about itself.
 */
const REFUSED_OPTIONS = new Set(optionNames('bridge', REFUSED));
export const BRIDGE_OPTIONS = new Set([...optionNames('bridge', SUPPORTED), ...REFUSED_OPTIONS]);

function bridgeNew(name, line) {
  return {
    name, line, addresses: [], topics: [], remoteClientId: null, remoteUsername: null, remotePassword: null, localClientId: null,
    localUsername: null,
    cleanSession: false, protocolVersion: 4, keepalive: 60, tryPrivate: true, restartTimeout: { minMs: 5000, maxMs: 30000 },
    notifications: true, notificationTopic: null, tls: null, queueMax: 1000, queueBytesMax: 4 << 20, queuePolicies: [],
  };
}

/** Mosquitto writes an empty prefix or pattern as the two characters `""`. */
const unquote = (word) => (word === '""' ? '' : word);

/**
 * Reads one bridge option line into `state.bridges` (state.current is the bridge being
 * configured). `fail(line, message)` records an error. Returns nothing.
 */
export function bridgeOptionRead(name, args, rest, line, state, fail, baseDir) {
  if (REFUSED_OPTIONS.has(name)) return fail(line, `unsupported option '${name}': a Mosquitto bridge option the wrenmq gateway does not implement`);
  if (name === 'connection') {
    if (args.length !== 1) return fail(line, `connection takes one name, not '${args.join(' ')}'`);
    if (state.bridges.some((bridge) => bridge.name === args[0])) return fail(line, `connection '${args[0]}' given twice`);
    state.current = bridgeNew(args[0], line);
    state.bridges.push(state.current);
    return undefined;
  }
  const bridge = state.current;
  if (!bridge) return fail(line, `'${name}' before any 'connection' line: bridge options follow the connection they configure`);
  const number = (min, max) => {
    if (args.length !== 1 || !/^\d+$/.test(args[0])) return fail(line, `${name} must be one number, not '${args.join(' ')}'`);
    const value = Number(args[0]);
    if (value < min || value > max) return fail(line, `${name} ${value} is out of range ${min}..${max}`);
    return value;
  };
  const boolean = () => {
    if (args.length === 1 && (args[0] === 'true' || args[0] === '1')) return true;
    if (args.length === 1 && (args[0] === 'false' || args[0] === '0')) return false;
    return fail(line, `${name} must be true or false, not '${args.join(' ')}'`);
  };
  const word = () => (args.length === 1 ? args[0] : fail(line, `${name} takes one value, not '${args.join(' ')}'`));
  const tls = () => (bridge.tls ??= { cafile: null, certfile: null, keyfile: null, insecure: false, line });
  switch (name) {
    case 'address': {
      // "address <address>[:<port>] [<address>[:<port>]]": the others are tried in turn.
      if (args.length === 0) return fail(line, 'address needs at least one host[:port]');
      for (const entry of args) {
        const match = /^([^:\s]+)(?::(\d+))?$/.exec(entry);
        const port = match?.[2] === undefined ? 1883 : Number(match[2]);
        if (!match || port < 1 || port > 65535) return fail(line, `address '${entry}' is not host[:port]`);
        bridge.addresses.push({ host: match[1], port });
      }
      return undefined;
    }
    case 'topic': {
      // "topic pattern [[[ out | in | both ] qos-level] local-prefix remote-prefix]"
      if (args.length < 1 || args.length === 4 || args.length > 5) return fail(line, `topic takes: pattern [[[out|in|both] qos] local-prefix remote-prefix]`);
      const [pattern, direction = 'out', qos = '0', localPrefix = '', remotePrefix = ''] = args.map(unquote);
      if (!DIRECTIONS.includes(direction)) return fail(line, `topic direction must be out, in or both, not '${direction}'`);
      if (!/^[012]$/.test(qos)) return fail(line, `topic QoS must be 0, 1 or 2, not '${qos}'`);
      if (pattern === '' && localPrefix === '' && remotePrefix === '') return fail(line, 'topic with an empty pattern needs a prefix to be the topic');
      if (/[+#]/.test(localPrefix + remotePrefix)) return fail(line, 'topic prefixes may not hold wildcards');
      bridge.topics.push({ pattern, direction, qos: Number(qos), localPrefix, remotePrefix, line });
      return undefined;
    }
    case 'remote_clientid': bridge.remoteClientId = word() ?? null; return undefined;
    case 'remote_username': bridge.remoteUsername = word() ?? null; return undefined;
    case 'remote_password': bridge.remotePassword = word() ?? null; return undefined;
    // The local side's identity: messages from the upstream are authorised as PUBLISHes from it.
    case 'local_clientid': bridge.localClientId = word() ?? null; return undefined;
    case 'local_username': bridge.localUsername = word() ?? null; return undefined;
    case 'cleansession': bridge.cleanSession = boolean() ?? bridge.cleanSession; return undefined;
    case 'try_private': bridge.tryPrivate = boolean() ?? bridge.tryPrivate; return undefined;
    case 'notifications': bridge.notifications = boolean() ?? bridge.notifications; return undefined;
    case 'notification_topic': bridge.notificationTopic = word() ?? null; return undefined;
    case 'keepalive_interval': bridge.keepalive = number(5, 65535) ?? bridge.keepalive; return undefined;
    case 'bridge_protocol_version': {
      const version = VERSIONS[args[0]];
      if (args.length !== 1 || !version) return fail(line, `bridge_protocol_version must be mqttv31, mqttv311 or mqttv50, not '${args.join(' ')}'`);
      bridge.protocolVersion = version;
      return undefined;
    }
    case 'restart_timeout': {
      // "restart_timeout <base> [<cap>]": one value is a constant delay; two are jittered backoff.
      if (args.length < 1 || args.length > 2 || !args.every((a) => /^\d+$/.test(a))) return fail(line, 'restart_timeout takes <seconds> or <base> <cap>');
      const [base, cap = base] = args.map(Number);
      if (base < 1 || cap < base) return fail(line, 'restart_timeout needs 1 <= base <= cap');
      bridge.restartTimeout = { minMs: base * 1000, maxMs: cap * 1000 };
      return undefined;
    }
    case 'bridge_cafile': case 'bridge_certfile': case 'bridge_keyfile': {
      if (rest === '') return fail(line, `missing argument for '${name}': expected a path`);
      tls()[name.slice('bridge_'.length, -'file'.length) + 'file'] = path.resolve(baseDir, rest);
      return undefined;
    }
    case 'bridge_insecure': tls().insecure = boolean() ?? false; return undefined;
    case 'bridge_max_queued_messages': bridge.queueMax = number(1, 1000000) ?? bridge.queueMax; return undefined;
    case 'bridge_max_queued_bytes': bridge.queueBytesMax = number(4096, 32 << 20) ?? bridge.queueBytesMax; return undefined;
    case 'bridge_queue_policy': {
      if (args.length !== 2 || !POLICIES.includes(args[1])) return fail(line, `bridge_queue_policy takes <pattern> keep-all|latest|drop-oldest`);
      bridge.queuePolicies.push({ pattern: args[0], policy: args[1] });
      return undefined;
    }
  }
  return fail(line, `unknown option '${name}'`);
}

/** Whole-bridge checks once the file is read. */
export function bridgesCheck(bridges, fail) {
  for (const bridge of bridges) {
    if (bridge.addresses.length === 0) fail(bridge.line, `connection '${bridge.name}' has no address`);
    if (bridge.topics.length === 0) fail(bridge.line, `connection '${bridge.name}' has no topic`);
    const tls = bridge.tls;
    if (tls && !tls.cafile) fail(tls.line, `connection '${bridge.name}': TLS options need bridge_cafile to verify the upstream`);
    if (tls && Boolean(tls.certfile) !== Boolean(tls.keyfile)) fail(tls.line, `connection '${bridge.name}': bridge_certfile and bridge_keyfile go together`);
  }
}
