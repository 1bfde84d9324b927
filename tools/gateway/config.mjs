/**
 * The gateway's configuration: the subset of mosquitto.conf(5) (Mosquitto 2.0.11, `man
 * mosquitto.conf`) that the wrenmq gateway implements, read with Mosquitto's own rules, so that
 * a file written for Mosquitto means the same here or is refused with a reason.
 *
 *   parseConfig(text, { file }) -> { config, errors }     never throws on user input
 *
 * config: { listeners: [{ port, host (null: every interface), protocol ('mqtt' | 'websockets'),
 * maxConnections (-1: unlimited), tls: null | { certfile, keyfile, cafile, requireCertificate,
 * useIdentityAsUsername } }], allowAnonymous, passwordFile, aclFile, maxConnections (the
 * listeners' limits added up, -1 if any is unlimited), maxPacketSize, messageSizeLimit,
 * maxInflightMessages, maxQueuedMessages, retainAvailable, maxKeepalive, sysInterval, bridges
 * (see bridge_config.mjs) }; paths
 * are absolute, and each default is quoted from the man page where it is declared below.
 *
 * `errors` lists every problem as { line, message } (1-based line; the message ends with
 * "(line N)"). The config is filled in as well as the valid lines allow, for tools that want to
 * show it; a host must not serve a file whose errors list is not empty.
 *
 * How a line is read (mosquitto.conf(5) FILE FORMAT, and src/conf.c of 2.0.11):
 *  - a line whose very first character is `#` is a comment; so is an empty line. An indented
 *    `  # text` is not a comment (Mosquitto: 'Unknown configuration variable "#"').
 *  - words are separated by spaces only; Mosquitto reads `listener<TAB>1883` as one unknown word,
 *    so a tab anywhere is refused here with that explanation.
 *  - a path option takes the rest of the line, trimmed (paths may contain spaces); a relative
 *    path is resolved against the directory of `file` (Mosquitto uses its working directory).
 *  - there are no end-of-line comments: Mosquitto silently ignores words after a number or a
 *    boolean but makes them part of a path, so any extra word is an error here.
 *  - numbers must be decimal integers (Mosquitto's atoi() reads `sys_interval abc` as 0) in the
 *    ranges the man page and Mosquitto's checks give; where Mosquitto quietly maps a value (a
 *    negative max_queued_messages to 0, max_connections -5 to -1) it is refused here. Booleans
 *    are `true`/`false`, and `1`/`0`, which Mosquitto also accepts.
 *  - a path option given twice in one scope is an error (as Mosquitto); a number or boolean
 *    given twice takes the last value (as Mosquitto).
 *
 * Listeners. `listener <port> [bind address]` starts a listener; the per-listener options after
 * it (max_connections, certfile, keyfile, cafile, require_certificate, use_identity_as_username,
 * protocol) apply to it. Per-listener options before the first `listener` line configure
 * Mosquitto's implicit default listener, which `port` (deprecated) also configures; it listens
 * on every interface and comes after the explicit listeners. Mosquitto creates that listener on
 * port 1883 as soon as any of these options appears, even without `port`, and then also forces
 * anonymous access on (seen with 2.0.11: a file holding only `max_connections 5` and
 * `allow_anonymous false` serves anonymous clients on 0.0.0.0:1883), so such a line is an
 * error here unless the file has a `port` line.
 *
 * With no listener at all, Mosquitto 2.0 starts "in local only mode" on 127.0.0.1 and ::1 port
 * 1883 and allows anonymous clients there (allow_anonymous: "Defaults to false, unless no
 * listeners are defined in the configuration file, in which case it set to true, but
 * connections are only allowed from the local machine."). wrenmq does the same with one
 * listener on 127.0.0.1:1883, but honours an explicit `allow_anonymous false` (2.0.11 ignores it).
 *
 * Not supported: per_listener_settings true (every security option applies to every
 * listener), unix socket listeners (port 0), and every other Mosquitto option (refused as
 * "unsupported", so a file is never half-understood).
 */
import path from 'node:path';
import { BRIDGE_OPTIONS, bridgeOptionRead, bridgesCheck } from './bridge_config.mjs';

/** Mosquitto's default port ("port ... Defaults to 1883."). */
export const PORT_DEFAULT = 1883;
/** Where wrenmq listens when the file defines no listener (Mosquitto: 127.0.0.1 and ::1). */
export const LOCAL_ONLY_HOST = '127.0.0.1';
const INT_MAX = 2 ** 31 - 1;
const PORT_SPEC = { kind: 'number', min: 1, max: 65535 };
/** MQTT's largest payload; message_size_limit: "MQTT imposes a maximum payload size of 268435455 bytes." */
const PAYLOAD_SIZE_MAX = 268435455;

/** Global options: config key, kind, range, and the default in the man page's words. */
const GLOBALS = {
  /** "Defaults to false, unless no listeners are defined ..., in which case it set to true" */
  allow_anonymous: { key: 'allowAnonymous', kind: 'boolean', default: null },
  /** acl_file: unset means no ACL ("If defined, ... used to control client access to topics") */
  acl_file: { key: 'aclFile', kind: 'path', default: null },
  /** password_file: unset means no password check ("If defined, ... used to control client access") */
  password_file: { key: 'passwordFile', kind: 'path', default: null },
  /** "setting below 20 bytes is forbidden"; "Defaults to no limit." (0) */
  max_packet_size: { key: 'maxPacketSize', kind: 'number', min: 20, max: INT_MAX, default: 0 },
  /** "The default value is 0, which means that all valid MQTT messages are accepted." */
  message_size_limit: { key: 'messageSizeLimit', kind: 'number', min: 0, max: PAYLOAD_SIZE_MAX, default: 0 },
  /** "Defaults to 20. Set to 0 for no maximum." (Mosquitto refuses more than 65535) */
  max_inflight_messages: { key: 'maxInflightMessages', kind: 'number', min: 0, max: 65535, default: 20 },
  /** "Defaults to 1000. Set to 0 for no maximum (not recommended)." */
  max_queued_messages: { key: 'maxQueuedMessages', kind: 'number', min: 0, max: INT_MAX, default: 1000 },
  /** "Defaults to true." */
  retain_available: { key: 'retainAvailable', kind: 'boolean', default: true },
  /** "The maximum value allowable, and default value, is 65535. Do not set below 10 seconds." */
  max_keepalive: { key: 'maxKeepalive', kind: 'number', min: 10, max: 65535, default: 65535 },
  /** "If unset, defaults to 10 seconds." "Set to 0 to disable" (Mosquitto refuses > 65535) */
  sys_interval: { key: 'sysInterval', kind: 'number', min: 0, max: 65535, default: 10 },
  /**
   * "If true, connection, subscription and message data will be written to the disk". Mosquitto
   * writes a snapshot every autosave_interval; wrenmq keeps a flash-style log in
   * persistence_location/persistence_file and acknowledges QoS 1/2 only after writing.
   */
  persistence: { key: 'persistence', kind: 'boolean', default: false },
  /** "The path where the persistent database should be stored. If not given, then the current directory is used." */
  persistence_location: { key: 'persistenceLocation', kind: 'path', default: null },
  /** "The filename to use for the persistent database" (Mosquitto: mosquitto.db; wrenmq's file is a flash image). */
  persistence_file: { key: 'persistenceFile', kind: 'name', default: 'wrenmq.flash' },
};

/** Per-listener options (the LISTENERS section of the man page). */
const PER_LISTENER = {
  /** "Set to -1 to have "unlimited" connections." Unset: -1 (Mosquitto's listener default). */
  max_connections: { key: 'maxConnections', kind: 'number', min: -1, max: INT_MAX },
  /** "Can be mqtt, the default, or websockets" */
  protocol: { key: 'protocol', kind: 'word', values: ['mqtt', 'websockets'] },
  certfile: { key: 'certfile', kind: 'path' },
  keyfile: { key: 'keyfile', kind: 'path' },
  cafile: { key: 'cafile', kind: 'path' },
  /** Unset: false ("By default an SSL/TLS enabled listener will operate ... like https") */
  require_certificate: { key: 'requireCertificate', kind: 'boolean' },
  /** Unset: false (the MQTT username is used) */
  use_identity_as_username: { key: 'useIdentityAsUsername', kind: 'boolean' },
};

/** Mosquitto 2.0.11 options wrenmq does not implement: refused as unsupported, not unknown. */
const MOSQUITTO_OPTIONS = new Set(`address addresses allow_duplicate_messages
  allow_zero_length_clientid auth_plugin auth_plugin_deny_special_chars auto_id_prefix
  autosave_interval autosave_on_changes bind_address bind_interface bridge_alpn
  bridge_attempt_unsubscribe bridge_bind_address bridge_cafile bridge_capath bridge_certfile
  bridge_identity bridge_insecure bridge_keyfile bridge_max_packet_size bridge_outgoing_retain
  bridge_protocol_version bridge_psk bridge_require_ocsp bridge_tls_version capath
  check_retain_source ciphers ciphers_tls1.3 cleansession clientid clientid_prefixes connection
  connection_messages crlfile dhparamfile http_dir idle_timeout include_dir keepalive_interval
  local_cleansession local_clientid local_password local_username log_dest log_facility
  log_timestamp log_timestamp_format log_type max_inflight_bytes max_qos max_queued_bytes
  max_topic_alias memory_limit mount_point notification_topic notifications
  notifications_local_only password
  persistent_client_expiration pid_file plugin psk_file psk_hint queue_qos0_messages
  remote_clientid remote_password remote_username restart_timeout retained_persistence
  retry_interval round_robin set_tcp_nodelay socket_domain start_type threshold tls_engine
  tls_engine_kpass_sha1 tls_keyform tls_version topic try_private upgrade_outgoing_qos
  use_subject_as_username use_username_as_clientid user username websockets_headers_size
  websockets_log_level`.split(/\s+/));

function listenerNew(port, host, line) {
  return {
    port, host, line, protocol: 'mqtt', maxConnections: -1, certfile: null, keyfile: null,
    cafile: null, requireCertificate: false, useIdentityAsUsername: false, lines: {},
  };
}

/** "listener 1883 127.0.0.1", "listener 1883 (every interface)" or "port 1883 (...)", for messages. */
function listenerName(listener) {
  return `${listener.isDefault ? 'port' : 'listener'} ${listener.port} ${listener.host ?? '(every interface)'}`;
}

/** Parses mosquitto.conf text; `file` (its path) anchors relative paths and names nothing else. */
export function parseConfig(text, { file } = {}) {
  const errors = [];
  /** Records one problem; returns undefined, the "no value" of the readers below. */
  const fail = (line, message) => { errors.push({ line, message: `${message} (line ${line})` }); };
  const baseDir = file ? path.dirname(path.resolve(file)) : process.cwd();
  const globals = {};
  const globalLines = {};
  const listeners = [];
  const defaultListener = { ...listenerNew(null, null, 0), isDefault: true };
  const defaultOptionLines = [];
  let current = defaultListener;
  const bridgeState = { bridges: [], current: null };

  /** One value of an option, checked; returns undefined (after an error) when unusable. */
  function valueRead(name, spec, args, rest, line) {
    if (spec.kind === 'path') {
      if (rest === '') return fail(line, `missing argument for '${name}': expected a path`);
      return path.resolve(baseDir, rest);
    }
    const expected = { number: 'a number', boolean: 'true or false', word: spec.values?.join(' or '), name: 'a file name' }[spec.kind];
    if (args.length === 0) return fail(line, `missing argument for '${name}': expected ${expected}`);
    if (extraArguments(name, args, 1, line)) return undefined;
    const word = args[0];
    if (spec.kind === 'boolean') {
      if (word === 'true' || word === '1') return true;
      if (word === 'false' || word === '0') return false;
      return fail(line, `${name} must be true or false, not '${word}'`);
    }
    if (spec.kind === 'name') {
      if (word.includes('/')) return fail(line, `${name} is a file name, not a path ('${word}'): put the directory in persistence_location`);
      return word;
    }
    if (spec.kind === 'word') {
      if (spec.values.includes(word)) return word;
      return fail(line, `${name} must be ${expected}, not '${word}'`);
    }
    if (!/^[+-]?\d+$/.test(word)) return fail(line, `${name} must be a number, not '${word}'`);
    const value = Number(word);
    if (value < spec.min || value > spec.max) {
      return fail(line, `${name} ${word} is out of range ${spec.min}..${spec.max}`);
    }
    return value;
  }

  /** Reports words beyond the first `allowed` (or from a `#` on); true when there were some. */
  function extraArguments(name, args, allowed, line) {
    const comment = args.findIndex((word) => word.startsWith('#'));
    const cut = comment >= 0 ? Math.min(comment, allowed) : allowed;
    if (args.length <= cut) return false;
    const hint = args[cut].startsWith('#') ? ': mosquitto.conf has no end-of-line comments' : '';
    fail(line, `extra argument '${args.slice(cut).join(' ')}' after '${[name, ...args.slice(0, cut)].join(' ')}'${hint}`);
    return true;
  }

  /** The port of `listener` and `port`: 1..65535 (0 is Mosquitto's unix socket listener). */
  function portRead(name, args, line) {
    if (args[0] === '0') return fail(line, `${name} 0 (a unix socket listener) is not supported`);
    return valueRead(name, PORT_SPEC, args, '', line);
  }

  const lines = String(text).split('\n');
  for (let index = 0; index < lines.length; index++) {
    const line = index + 1;
    const source = lines[index].replace(/\r+$/, '');
    if (source === '' || source.startsWith('#')) continue;
    if (source.includes('\t')) {
      fail(line, `tab character: mosquitto.conf separates words with spaces only (mosquitto reads '${source.trim().split(' ')[0].replace(/\t/g, '\\t')}' as one word)`);
      continue;
    }
    const words = source.split(' ').filter((word) => word !== '');
    if (words.length === 0) continue;
    const name = words[0];
    const args = words.slice(1);
    const rest = source.slice(source.indexOf(name) + name.length).trim();

    if (name === 'listener') {
      if (args.length === 0) { fail(line, `missing argument for 'listener': expected a port`); continue; }
      if (extraArguments(name, args, 2, line)) continue;
      const port = portRead('listener', args.slice(0, 1), line);
      if (port === undefined) continue;
      current = listenerNew(port, args[1] ?? null, line);
      listeners.push(current);
    } else if (name === 'port') {
      const port = portRead('port', args, line);
      if (port === undefined) continue;
      defaultListener.port = port; // "Only the latest will be used." (Mosquitto's warning)
      defaultListener.line = line;
    } else if (name === 'per_listener_settings') {
      const value = valueRead(name, { kind: 'boolean' }, args, rest, line);
      if (value === true) {
        fail(line, 'per_listener_settings true is not supported: wrenmq applies password_file, acl_file and allow_anonymous to every listener');
      }
    } else if (Object.hasOwn(GLOBALS, name)) {
      const spec = GLOBALS[name];
      if (spec.kind === 'path' && globalLines[name] !== undefined && rest !== '') {
        fail(line, `${name} given twice (first on line ${globalLines[name]})`);
        continue;
      }
      const value = valueRead(name, spec, args, rest, line);
      if (value === undefined) continue;
      globals[spec.key] = value;
      globalLines[name] = line;
    } else if (Object.hasOwn(PER_LISTENER, name)) {
      const spec = PER_LISTENER[name];
      if (spec.kind === 'path' && current.lines[name] !== undefined && rest !== '') {
        fail(line, `${name} given twice for this listener (first on line ${current.lines[name]})`);
        continue;
      }
      const value = valueRead(name, spec, args, rest, line);
      if (value === undefined) continue;
      current[spec.key] = value;
      current.lines[name] = line;
      if (current === defaultListener) defaultOptionLines.push({ name, line });
    } else if (BRIDGE_OPTIONS.has(name)) {
      bridgeOptionRead(name, args, rest, line, bridgeState, fail, baseDir);
    } else if (MOSQUITTO_OPTIONS.has(name) || name.startsWith('auth_opt_') || name.startsWith('plugin_opt_')) {
      fail(line, `unsupported option '${name}': a Mosquitto option the wrenmq gateway does not implement`);
    } else if (name.startsWith('#')) {
      fail(line, `unknown option '${name}': a comment's '#' must be the first character of its line`);
    } else {
      fail(line, `unknown option '${name}'`);
    }
  }

  if (defaultListener.port === null) {
    for (const { name, line } of defaultOptionLines) {
      fail(line, `'${name}' before any listener: add a 'listener' line before it (mosquitto would apply it to an implicit listener on port ${PORT_DEFAULT} on every interface)`);
    }
  } else {
    listeners.push(defaultListener);
  }
  for (const listener of listeners) listenerCheck(listener, fail);
  bridgesCheck(bridgeState.bridges, fail);
  listenersOverlapCheck(listeners, fail);

  const explicit = listeners.length > 0;
  const config = {
    listeners: explicit ? listeners.map(listenerResult)
      : [listenerResult(listenerNew(PORT_DEFAULT, LOCAL_ONLY_HOST, 0))],
    allowAnonymous: globals.allowAnonymous ?? !explicit,
    bridges: bridgeState.bridges,
  };
  // max_connections is per listener in Mosquitto ("for the current listener"); the top-level
  // figure is what they add up to, -1 when any listener is unlimited: a bound for a connection
  // table shared by all listeners, not a replacement for counting per listener.
  const limits = config.listeners.map((listener) => listener.maxConnections);
  config.maxConnections = limits.includes(-1) ? -1 : limits.reduce((sum, limit) => sum + limit, 0);
  for (const spec of Object.values(GLOBALS)) {
    if (spec.key !== 'allowAnonymous') config[spec.key] = globals[spec.key] ?? spec.default;
  }
  errors.sort((a, b) => a.line - b.line);
  return { config, errors };
}

/** TLS options that only make sense together (mosquitto.conf(5), "Certificate based SSL/TLS Support"). */
function listenerCheck(listener, fail) {
  const { lines } = listener;
  const name = listenerName(listener);
  // "This option and keyfile must be present to enable certificate based TLS encryption."
  // With only one of them Mosquitto silently serves plain MQTT on the port (seen with 2.0.11).
  if (listener.certfile && !listener.keyfile) {
    fail(lines.certfile, `certfile without keyfile on ${name}: TLS needs both`);
  }
  if (listener.keyfile && !listener.certfile) {
    fail(lines.keyfile, `keyfile without certfile on ${name}: TLS needs both`);
  }
  const tls = listener.certfile && listener.keyfile;
  if (!tls) {
    if (listener.cafile) fail(lines.cafile, `cafile on ${name}, which has no certfile and keyfile, so no TLS`);
    if (listener.requireCertificate) fail(lines.require_certificate, `require_certificate on ${name}, which has no certfile and keyfile, so no TLS`);
    if (listener.useIdentityAsUsername) fail(lines.use_identity_as_username, `use_identity_as_username on ${name}, which has no certfile and keyfile, so no TLS`);
    return;
  }
  // Mosquitto starts such a listener, but with no CA to verify against it refuses every client.
  if (listener.requireCertificate && !listener.cafile) {
    fail(lines.require_certificate, `require_certificate true on ${name} needs cafile: without it no client certificate can be verified`);
  }
  // "If require_certificate is true, you may set use_identity_as_username to true"
  if (listener.useIdentityAsUsername && !listener.requireCertificate) {
    fail(lines.use_identity_as_username, `use_identity_as_username true on ${name} needs require_certificate true`);
  }
  // protocol: "with websockets ... only the cafile, certfile, keyfile, ciphers, and ciphers_tls1.3 options are supported"
  if (listener.protocol === 'websockets') {
    for (const option of ['require_certificate', 'use_identity_as_username']) {
      if (lines[option] !== undefined && listener[PER_LISTENER[option].key]) {
        fail(lines[option], `${option} is not available on websockets ${name}`);
      }
    }
  }
}

/** Two listeners on one port clash when their addresses are equal or either is every interface. */
function listenersOverlapCheck(listeners, fail) {
  for (let later = 1; later < listeners.length; later++) {
    for (let earlier = 0; earlier < later; earlier++) {
      const a = listeners[earlier];
      const b = listeners[later];
      if (a.port !== b.port || (a.host !== null && b.host !== null && a.host !== b.host)) continue;
      const [first, second] = a.line <= b.line ? [a, b] : [b, a];
      fail(second.line, `${listenerName(second)} clashes with ${listenerName(first)} on line ${first.line}`);
      break;
    }
  }
}

/** The public shape of one listener. */
function listenerResult(listener) {
  const tls = listener.certfile && listener.keyfile ? {
    certfile: listener.certfile,
    keyfile: listener.keyfile,
    cafile: listener.cafile,
    requireCertificate: listener.requireCertificate,
    useIdentityAsUsername: listener.useIdentityAsUsername,
  } : null;
  return {
    port: listener.port, host: listener.host, protocol: listener.protocol,
    maxConnections: listener.maxConnections, tls,
  };
}
