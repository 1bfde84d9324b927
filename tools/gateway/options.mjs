/**
 * Every option of Mosquitto 2.0.11's mosquitto.conf(5), the few its src/conf.c also accepts
 * without documenting them, and wrenmq's own: what the wrenmq gateway does with each, in one
 * table. config.mjs and bridge_config.mjs read an option only if this table lists it, and treat
 * it as its status says; `node tools/gateway/config.mjs --options-table` prints the table for
 * README.md, and test/gateway_operator.test.mjs checks it against the man page and the README.
 *
 *   supported  read with Mosquitto's meaning; the note says where wrenmq differs, or which one
 *              value it accepts ("only false": the other value is refused with the reason).
 *   ignored    read and checked like a supported option, then a warning names the line, and
 *              nothing changes. Only for options whose absence cannot surprise anyone.
 *   refused    an error names the line, and the gateway does not start.
 *
 * `section` is the man page's: general, listener (LISTENERS, certificate and PSK-based TLS
 * included) or bridge (CONFIGURING BRIDGES); bridge options are only valid after `connection`.
 * A name ending in `*` is a prefix (`auth_opt_*`).
 */

export const SUPPORTED = 'supported';
export const IGNORED = 'ignored';
export const REFUSED = 'refused';

const general = (status, note) => ({ section: 'general', status, note });
const listener = (status, note) => ({ section: 'listener', status, note });
const bridge = (status, note) => ({ section: 'bridge', status, note });

/** Option name -> { section, status, note }, in the man page's order (then undocumented, then wrenmq's). */
export const OPTIONS = {
  // ---- GENERAL OPTIONS ------------------------------------------------------------------------
  acl_file: general(SUPPORTED, 'user, topic and pattern lines (%c, %u); nothing matching denies; reloaded on SIGHUP'),
  allow_anonymous: general(SUPPORTED, 'default as Mosquitto 2.0 (false once a listener is defined); an explicit false also holds in local-only mode'),
  allow_duplicate_messages: general(SUPPORTED, 'only true (the default): a client whose subscriptions overlap gets one copy per matching subscription'),
  allow_zero_length_clientid: general(SUPPORTED, 'only true (the default): the broker assigns `wren-` and 8 hex digits'),
  'auth_opt_*': general(REFUSED, 'no plugins'),
  auth_plugin: general(REFUSED, 'no plugins: security is password_file, acl_file and client certificates'),
  auth_plugin_deny_special_chars: general(IGNORED, 'only concerns auth plugins, which are refused'),
  auto_id_prefix: general(REFUSED, 'assigned client ids always start with `wren-`'),
  autosave_interval: general(IGNORED, 'nothing to schedule: with persistence, wrenmq writes before it acknowledges'),
  autosave_on_changes: general(IGNORED, 'nothing to schedule: with persistence, wrenmq writes before it acknowledges'),
  check_retain_source: general(SUPPORTED, "only false (the default): retained messages are not checked again against their publisher's ACL"),
  clientid_prefixes: general(REFUSED, 'not implemented (ignoring it would let any client id in)'),
  connection_messages: general(SUPPORTED, 'connects, disconnects and refused logins, worded as Mosquitto'),
  include_dir: general(SUPPORTED, "its `.conf` files in Mosquitto's order (case-insensitive, upper case first), read at that line; only in the main file"),
  log_dest: general(SUPPORTED, 'stderr, stdout, file (reopened on SIGHUP), syslog (through logger(1)), none; topic is accepted with a warning; dlt is refused'),
  log_facility: general(SUPPORTED, '0..7 for local0..local7 (default: daemon)'),
  log_timestamp: general(SUPPORTED, ''),
  log_timestamp_format: general(SUPPORTED, 'strftime conversions %Y %m %d %H %M %S %z %s %% (local time); others are refused'),
  log_type: general(SUPPORTED, 'every type; the gateway has no debug, subscribe, unsubscribe or websockets messages yet'),
  max_inflight_bytes: general(SUPPORTED, 'only 0 (no limit, the default): in-flight deliveries are counted, not sized'),
  max_inflight_messages: general(SUPPORTED, "0 keeps the board profile's inflightCountMax"),
  max_keepalive: general(SUPPORTED, ''),
  max_packet_size: general(SUPPORTED, "0 keeps the board profile's packetSizeMax"),
  max_queued_bytes: general(SUPPORTED, "wrenmq's meaning: output bytes the host holds per connection before it takes no more from the core (outputBytesMax); 0 keeps the board's"),
  max_queued_messages: general(SUPPORTED, "0 keeps the board profile's queueCountMax"),
  memory_limit: general(SUPPORTED, "only 0 (no limit, the default): the broker's memory is fixed at start by the board profile (`make budget`)"),
  message_size_limit: general(SUPPORTED, 'only 0 or 268435455 (no limit): the broker has no payload limit; use max_packet_size'),
  password_file: general(SUPPORTED, "mosquitto_passwd's $7$ and $6$ lines; reloaded on SIGHUP"),
  per_listener_settings: general(SUPPORTED, 'only false: security options apply to every listener'),
  persistence: general(SUPPORTED, 'a flash-style log, written before each acknowledgement (README: Persistence)'),
  persistence_file: general(SUPPORTED, 'a file name (default wrenmq.flash): a flash image, not a mosquitto.db'),
  persistence_location: general(SUPPORTED, ''),
  persistent_client_expiration: general(SUPPORTED, 'h, d, w, m (30 days), y (365 days); passed to the broker as persistentExpirySeconds'),
  pid_file: general(SUPPORTED, 'written at start (its directory must exist), removed at exit'),
  psk_file: general(REFUSED, 'no TLS-PSK'),
  queue_qos0_messages: general(SUPPORTED, 'only false (the default): offline sessions keep QoS 1 and 2 messages only'),
  retain_available: general(SUPPORTED, ''),
  set_tcp_nodelay: general(IGNORED, 'plain TCP listeners always set TCP_NODELAY (one write per connection per turn); TLS ones keep Node\'s default'),
  sys_interval: general(SUPPORTED, ''),
  upgrade_outgoing_qos: general(SUPPORTED, 'only false (the default): a delivery takes the lower of the two QoS, as MQTT requires'),
  user: general(SUPPORTED, "as root, switch to this user and its group once the configuration is read; unset, no switch (Mosquitto's default is `mosquitto`)"),

  // ---- LISTENERS: general options --------------------------------------------------------------
  bind_address: listener(REFUSED, 'deprecated: write `listener <port> <address>`'),
  bind_interface: listener(REFUSED, ''),
  http_dir: listener(REFUSED, 'no HTTP file server'),
  listener: listener(SUPPORTED, 'a port 1..65535 and an optional address; unix sockets (port 0) are refused'),
  max_connections: listener(SUPPORTED, "per listener; the broker's connection table is sized by their sum"),
  max_qos: listener(REFUSED, ''),
  max_topic_alias: listener(REFUSED, "the board profile's topicAliasCountMax sets it, for every listener"),
  mount_point: listener(REFUSED, ''),
  port: listener(SUPPORTED, "deprecated, as in Mosquitto: the default listener, on every interface"),
  protocol: listener(SUPPORTED, 'mqtt or websockets'),
  socket_domain: listener(REFUSED, ''),
  use_username_as_clientid: listener(REFUSED, ''),
  websockets_log_level: listener(IGNORED, "libwebsockets' log level: the WebSocket server is Node's ws"),
  websockets_headers_size: listener(IGNORED, "libwebsockets' header buffer: Node reads HTTP headers up to 16 KiB"),
  // ---- LISTENERS: certificate based SSL/TLS ----------------------------------------------------
  cafile: listener(SUPPORTED, ''),
  capath: listener(REFUSED, 'use cafile'),
  certfile: listener(SUPPORTED, ''),
  ciphers: listener(REFUSED, "Node's default cipher list"),
  'ciphers_tls1.3': listener(REFUSED, "Node's default cipher list"),
  crlfile: listener(REFUSED, 'no revocation lists (ignoring one would accept revoked certificates)'),
  dhparamfile: listener(REFUSED, ''),
  keyfile: listener(SUPPORTED, ''),
  require_certificate: listener(SUPPORTED, ''),
  tls_engine: listener(REFUSED, ''),
  tls_engine_kpass_sha1: listener(REFUSED, ''),
  tls_keyform: listener(REFUSED, ''),
  tls_version: listener(REFUSED, "Node's default: TLS 1.2 and 1.3"),
  use_identity_as_username: listener(SUPPORTED, "the client certificate's CN is the user name"),
  use_subject_as_username: listener(REFUSED, ''),
  // ---- LISTENERS: pre-shared-key based SSL/TLS -------------------------------------------------
  psk_hint: listener(REFUSED, 'no TLS-PSK'),

  // ---- CONFIGURING BRIDGES ---------------------------------------------------------------------
  address: bridge(SUPPORTED, 'one or more host[:port], tried in turn'),
  addresses: bridge(REFUSED, 'write address'),
  bridge_attempt_unsubscribe: bridge(REFUSED, ''),
  bridge_bind_address: bridge(REFUSED, ''),
  bridge_max_packet_size: bridge(REFUSED, ''),
  bridge_outgoing_retain: bridge(REFUSED, ''),
  bridge_protocol_version: bridge(SUPPORTED, 'mqttv31, mqttv311 or mqttv50'),
  cleansession: bridge(SUPPORTED, ''),
  local_cleansession: bridge(REFUSED, ''),
  connection: bridge(SUPPORTED, ''),
  keepalive_interval: bridge(SUPPORTED, ''),
  idle_timeout: bridge(IGNORED, 'only concerns lazy bridges (start_type lazy), which are refused'),
  local_clientid: bridge(SUPPORTED, "the client id of the bridge's local side (default wrenmq-bridge-<name>)"),
  local_password: bridge(IGNORED, 'the local side is in-process and logs in without a password'),
  local_username: bridge(SUPPORTED, 'the user the ACL judges messages from the upstream as (default: anonymous), as a PUBLISH from that user'),
  notifications: bridge(SUPPORTED, ''),
  notifications_local_only: bridge(REFUSED, ''),
  notification_topic: bridge(SUPPORTED, ''),
  remote_clientid: bridge(SUPPORTED, ''),
  remote_password: bridge(SUPPORTED, ''),
  remote_username: bridge(SUPPORTED, ''),
  restart_timeout: bridge(SUPPORTED, 'a constant, or base and cap for jittered backoff'),
  round_robin: bridge(REFUSED, ''),
  start_type: bridge(REFUSED, 'bridges always start automatically'),
  threshold: bridge(IGNORED, 'only concerns lazy bridges (start_type lazy), which are refused'),
  topic: bridge(SUPPORTED, ''),
  try_private: bridge(SUPPORTED, ''),
  bridge_alpn: bridge(REFUSED, ''),
  bridge_cafile: bridge(SUPPORTED, ''),
  bridge_capath: bridge(REFUSED, 'use bridge_cafile'),
  bridge_certfile: bridge(SUPPORTED, ''),
  bridge_identity: bridge(REFUSED, 'no TLS-PSK'),
  bridge_insecure: bridge(SUPPORTED, ''),
  bridge_keyfile: bridge(SUPPORTED, ''),
  bridge_psk: bridge(REFUSED, 'no TLS-PSK'),
  bridge_require_ocsp: bridge(REFUSED, ''),
  bridge_tls_version: bridge(REFUSED, ''),

  // ---- accepted by Mosquitto 2.0.11's src/conf.c, not in its man page --------------------------
  retry_interval: general(IGNORED, 'not in mosquitto.conf(5) 2.0.11, whose broker also only warns that it is gone'),
  retained_persistence: general(REFUSED, 'undocumented alias: write persistence'),
  plugin: general(REFUSED, 'no plugins'),
  'plugin_opt_*': general(REFUSED, 'no plugins'),
  maximum_qos: listener(REFUSED, 'undocumented alias of max_qos'),
  clientid: bridge(REFUSED, 'undocumented alias: write remote_clientid'),
  password: bridge(REFUSED, 'undocumented alias: write remote_password'),
  username: bridge(REFUSED, 'undocumented alias: write remote_username'),

  // ---- wrenmq's own ------------------------------------------------------------------------------
  max_sessions_per_user: general(SUPPORTED, "wrenmq: N, or N% of the board's session table (anonymous clients are one user); default half the table with password_file or use_identity_as_username, else no cap"),
  bridge_max_queued_messages: bridge(SUPPORTED, 'wrenmq: messages kept for an unreachable upstream (default 1000)'),
  bridge_max_queued_bytes: bridge(SUPPORTED, 'wrenmq: their bytes (default 4 MB, at most 32 MB)'),
  bridge_queue_policy: bridge(SUPPORTED, 'wrenmq: <pattern> keep-all, latest or drop-oldest, when that queue is full'),
};

/** The table entry for option `name` (prefix entries included), or undefined for an unknown word. */
export function optionFind(name) {
  if (Object.hasOwn(OPTIONS, name)) return OPTIONS[name];
  for (const prefix of ['auth_opt_', 'plugin_opt_']) {
    if (name.startsWith(prefix) && name.length > prefix.length) return OPTIONS[`${prefix}*`];
  }
  return undefined;
}

/** Names of the options in `section` with `status`. */
export function optionNames(section, status) {
  return Object.keys(OPTIONS).filter((name) => OPTIONS[name].section === section && OPTIONS[name].status === status);
}

/** The line under which README.md carries the generated table. */
export const OPTIONS_TABLE_MARKER = '<!-- options table: generated by node tools/gateway/config.mjs --options-table -->';

/** The table as Markdown (option | status | note), one row per option, in the table's order. */
export function optionsTableMarkdown() {
  const cell = (text) => text.replace(/\|/g, '\\|');
  const rows = Object.entries(OPTIONS).map(([name, { status, note }]) => `| \`${name}\` | ${status} | ${cell(note)} |`);
  return ['| option | status | note |', '|---|---|---|', ...rows].join('\n');
}
