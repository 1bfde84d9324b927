// Goal: every supported mosquitto.conf option is read with Mosquitto 2.0's meaning and default, and anything else is refused with one error naming its line.
// Method: whole files in; whole config objects, or exact [line, message] lists, out (Mosquitto's behaviour is cited in tools/gateway/config.mjs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { includeOrder, parseConfig } from '../tools/gateway/config.mjs';

const FILE = '/etc/wrenmq/mosquitto.conf';

/** Parses text (lines joined with \n) and returns the errors as [line, message] pairs. */
function errorsOf(...lines) {
  return parseConfig(lines.join('\n'), { file: FILE }).errors.map(({ line, message }) => [line, message]);
}

/** The config of a file that must parse without errors. */
function configOf(...lines) {
  const { config, errors } = parseConfig(lines.join('\n'), { file: FILE });
  assert.deepEqual(errors, []);
  return config;
}

const DEFAULTS = {
  allowAnonymous: false, maxConnections: -1, aclFile: null, passwordFile: null, maxPacketSize: 0, messageSizeLimit: 0,
  maxInflightMessages: 20, maxQueuedMessages: 1000, retainAvailable: true, maxKeepalive: 65535, sysInterval: 10, bridges: [],
  persistence: false, persistenceLocation: null, persistenceFile: 'wrenmq.flash',
  files: [FILE], localOnly: false, maxQueuedBytes: 0, persistentClientExpiration: null, maxSessionsPerUser: null,
  pidFile: null, user: null, logDest: [{ kind: 'stderr' }], logType: ['error', 'warning', 'notice', 'information'],
  logTimestamp: true, logTimestampFormat: null, logFacility: null, connectionMessages: true,
};
const PLAIN = { protocol: 'mqtt', maxConnections: -1, tls: null };

test('an empty file: one local-only listener on 127.0.0.1:1883, anonymous allowed, every default', () => {
  assert.deepEqual(configOf(''), {
    ...DEFAULTS, allowAnonymous: true, localOnly: true, listeners: [{ port: 1883, host: '127.0.0.1', ...PLAIN }],
  });
  assert.deepEqual(configOf('# only a comment', '', '   '), configOf(''));
});

test('every supported option, set', () => {
  const config = configOf(
    '# a full file',
    'allow_anonymous true',
    'password_file passwords',
    'acl_file /var/lib/wrenmq/acl file',
    'max_packet_size 20',
    'message_size_limit 268435455',
    'max_inflight_messages 0',
    'max_queued_messages 5',
    'retain_available false',
    'max_keepalive 10',
    'sys_interval 0',
    'per_listener_settings false',
    'port 1884',
    'max_connections 7',
    'listener 8883 192.0.2.1',
    'certfile certs/server.pem',
    'keyfile certs/server.key',
    'cafile  ../ca.pem  ',
    'require_certificate true',
    'use_identity_as_username true',
    'max_connections -1',
    'listener 8080',
    'protocol websockets',
    'certfile /tls/ws.pem',
    'keyfile /tls/ws.key',
    'max_connections 0',
    'persistence true',
    'persistence_location /var/lib/wrenmq/',
    'persistence_file gateway.flash',
    'persistent_client_expiration 14d',
    'max_queued_bytes 65536',
    'max_sessions_per_user 25%',
    'pid_file /run/wrenmq/wrenmq.pid',
    'user wrenmq',
    'log_dest stdout',
    'log_dest file /var/log/wrenmq/wrenmq.log',
    'log_dest syslog',
    'log_type debug',
    'log_type subscribe',
    'log_timestamp false',
    'log_timestamp_format %Y-%m-%dT%H:%M:%S %z',
    'log_facility 5',
    'connection_messages false',
    'allow_duplicate_messages true',
    'allow_zero_length_clientid true',
    'check_retain_source false',
    'queue_qos0_messages false',
    'upgrade_outgoing_qos false',
    'max_inflight_bytes 0',
    'memory_limit 0',
  );
  assert.deepEqual(config, {
    listeners: [
      {
        port: 8883, host: '192.0.2.1', protocol: 'mqtt', maxConnections: -1,
        tls: {
          certfile: '/etc/wrenmq/certs/server.pem', keyfile: '/etc/wrenmq/certs/server.key', cafile: '/etc/ca.pem',
          requireCertificate: true, useIdentityAsUsername: true,
        },
      },
      {
        port: 8080, host: null, protocol: 'websockets', maxConnections: 0,
        tls: { certfile: '/tls/ws.pem', keyfile: '/tls/ws.key', cafile: null, requireCertificate: false, useIdentityAsUsername: false },
      },
      // `port` is Mosquitto's default listener: every interface, after the explicit listeners.
      { port: 1884, host: null, protocol: 'mqtt', maxConnections: 7, tls: null },
    ],
    allowAnonymous: true, maxConnections: -1, passwordFile: '/etc/wrenmq/passwords', aclFile: '/var/lib/wrenmq/acl file',
    maxPacketSize: 20, messageSizeLimit: 268435455, maxInflightMessages: 0, maxQueuedMessages: 5,
    retainAvailable: false, maxKeepalive: 10, sysInterval: 0, bridges: [],
    persistence: true, persistenceLocation: '/var/lib/wrenmq', persistenceFile: 'gateway.flash',
    files: [FILE], localOnly: false, persistentClientExpiration: 14 * 86400, maxQueuedBytes: 65536,
    maxSessionsPerUser: { percent: 25 }, pidFile: '/run/wrenmq/wrenmq.pid', user: 'wrenmq',
    logDest: [{ kind: 'stdout' }, { kind: 'file', path: '/var/log/wrenmq/wrenmq.log' }, { kind: 'syslog' }],
    logType: ['subscribe', 'debug'], logTimestamp: false, logTimestampFormat: '%Y-%m-%dT%H:%M:%S %z', logFacility: 5,
    connectionMessages: false,
  });
});

test('defaults with a listener: allow_anonymous is false, everything else as the man page says', () => {
  assert.deepEqual(configOf('listener 1883'), { ...DEFAULTS, listeners: [{ port: 1883, host: null, ...PLAIN }] });
  assert.deepEqual(configOf('port 1883').listeners, [{ port: 1883, host: null, ...PLAIN }]);
  assert.equal(configOf('port 1883').allowAnonymous, false);
});

test('an explicit allow_anonymous false is honoured in local-only mode (Mosquitto 2.0.11 ignores it)', () => {
  const config = configOf('allow_anonymous false');
  assert.equal(config.allowAnonymous, false);
  assert.deepEqual(config.listeners, [{ port: 1883, host: '127.0.0.1', ...PLAIN }]);
});

test('relative paths follow the file; without a file, the working directory', () => {
  assert.equal(configOf('password_file p').passwordFile, '/etc/wrenmq/p');
  assert.equal(parseConfig('password_file p').config.passwordFile, `${process.cwd()}/p`);
  assert.equal(parseConfig('password_file p', { file: 'conf/m.conf' }).config.passwordFile, `${process.cwd()}/conf/p`);
});

test('the line format: CRLF, repeated and leading spaces, 1 and 0 as booleans, the last number wins', () => {
  const config = configOf('listener  1883   127.0.0.1\r', '  retain_available 0\r', 'allow_anonymous 1',
    'sys_interval 5', 'sys_interval +6', 'max_inflight_messages 65535', 'max_queued_messages 2147483647',
    'max_packet_size 2147483647', 'message_size_limit 0', 'max_keepalive 65535', 'port 1', 'port 65535');
  assert.deepEqual(config.listeners.map(({ port, host }) => [port, host]), [[1883, '127.0.0.1'], [65535, null]]);
  assert.equal(config.retainAvailable, false);
  assert.equal(config.allowAnonymous, true);
  assert.equal(config.sysInterval, 6);
  assert.equal(config.maxInflightMessages, 65535);
  assert.equal(config.maxQueuedMessages, 2147483647);
  assert.equal(config.maxPacketSize, 2147483647);
});

test('persistence_file is a file name; its directory is persistence_location', () => {
  assert.deepEqual(errorsOf('persistence_file /var/lib/x.db'), [
    [1, "persistence_file is a file name, not a path ('/var/lib/x.db'): put the directory in persistence_location (line 1)"],
  ]);
});

test('unknown, unsupported and misplaced words', () => {
  assert.deepEqual(errorsOf('listener 1883', 'allow_anonymous true', '', '', '', '', 'foo bar'), [
    [7, "unknown option 'foo' (line 7)"],
  ]);
  assert.deepEqual(errorsOf('clientid_prefixes secure-', 'auth_opt_backend x', 'bind_address 0.0.0.0', 'listener 1883'), [
    [1, "unsupported option 'clientid_prefixes': a Mosquitto option the wrenmq gateway does not implement (line 1)"],
    [2, "unsupported option 'auth_opt_backend': a Mosquitto option the wrenmq gateway does not implement (line 2)"],
    [3, "unsupported option 'bind_address': a Mosquitto option the wrenmq gateway does not implement (line 3)"],
  ]);
  assert.deepEqual(errorsOf('listener 1883', '  # indented'), [
    [2, "unknown option '#': a comment's '#' must be the first character of its line (line 2)"],
  ]);
  assert.deepEqual(errorsOf('listener\t1883'), [
    [1, "tab character: mosquitto.conf separates words with spaces only (mosquitto reads 'listener\\t1883' as one word) (line 1)"],
  ]);
  assert.deepEqual(errorsOf('per_listener_settings true', 'listener 1883'), [
    [1, 'per_listener_settings true is not supported: wrenmq applies password_file, acl_file and allow_anonymous to every listener (line 1)'],
  ]);
});

test('missing and extra arguments', () => {
  assert.deepEqual(errorsOf('listener', 'port', 'listener 1883', 'allow_anonymous', 'max_connections',
    'password_file', 'acl_file   ', 'protocol', 'certfile'), [
    [1, "missing argument for 'listener': expected a port (line 1)"],
    [2, "missing argument for 'port': expected a number (line 2)"],
    [4, "missing argument for 'allow_anonymous': expected true or false (line 4)"],
    [5, "missing argument for 'max_connections': expected a number (line 5)"],
    [6, "missing argument for 'password_file': expected a path (line 6)"],
    [7, "missing argument for 'acl_file': expected a path (line 7)"],
    [8, "missing argument for 'protocol': expected mqtt or websockets (line 8)"],
    [9, "missing argument for 'certfile': expected a path (line 9)"],
  ]);
  assert.deepEqual(errorsOf('listener 1883 127.0.0.1 extra', 'allow_anonymous true # anonymous ok',
    'sys_interval 10 20', 'port 1884 x', 'listener 1885 # comment here', 'protocol mqtt mqtt'), [
    [1, "extra argument 'extra' after 'listener 1883 127.0.0.1' (line 1)"],
    [2, "extra argument '# anonymous ok' after 'allow_anonymous true': mosquitto.conf has no end-of-line comments (line 2)"],
    [3, "extra argument '20' after 'sys_interval 10' (line 3)"],
    [4, "extra argument 'x' after 'port 1884' (line 4)"],
    [5, "extra argument '# comment here' after 'listener 1885': mosquitto.conf has no end-of-line comments (line 5)"],
    [6, "extra argument 'mqtt' after 'protocol mqtt' (line 6)"],
  ]);
});

test('numbers: not numeric, or out of range for each option', () => {
  assert.deepEqual(errorsOf('listener 1883', 'sys_interval abc', 'max_keepalive 10s', 'max_connections 1.5', 'listener x'), [
    [2, "sys_interval must be a number, not 'abc' (line 2)"],
    [3, "max_keepalive must be a number, not '10s' (line 3)"],
    [4, "max_connections must be a number, not '1.5' (line 4)"],
    [5, "listener must be a number, not 'x' (line 5)"],
  ]);
  const ranges = [
    ['max_packet_size', 19, 2147483648, '20..2147483647'],
    ['message_size_limit', -1, 268435456, '0..268435455'],
    ['max_inflight_messages', -1, 65536, '0..65535'],
    ['max_queued_messages', -1, 2147483648, '0..2147483647'],
    ['max_keepalive', 9, 65536, '10..65535'],
    ['sys_interval', -1, 65536, '0..65535'],
    ['max_connections', -2, 2147483648, '-1..2147483647'],
    ['port', -1, 65536, '1..65535'],
    ['listener', -1, 65536, '1..65535'],
  ];
  for (const [name, low, high, range] of ranges) {
    const before = name === 'max_connections' ? ['listener 1883'] : [];
    const line = before.length + 1;
    assert.deepEqual(errorsOf(...before, `${name} ${low}`, `${name} ${high}`), [
      [line, `${name} ${low} is out of range ${range} (line ${line})`],
      [line + 1, `${name} ${high} is out of range ${range} (line ${line + 1})`],
    ], name);
  }
  assert.deepEqual(errorsOf('listener 0 /tmp/mqtt.sock'), [[1, 'listener 0 (a unix socket listener) is not supported (line 1)']]);
  assert.deepEqual(errorsOf('port 0'), [[1, 'port 0 (a unix socket listener) is not supported (line 1)']]);
});

test('booleans and protocol words', () => {
  assert.deepEqual(errorsOf('listener 1883', 'allow_anonymous yes', 'retain_available TRUE', 'per_listener_settings no',
    'require_certificate on', 'use_identity_as_username 2', 'protocol ws'), [
    [2, "allow_anonymous must be true or false, not 'yes' (line 2)"],
    [3, "retain_available must be true or false, not 'TRUE' (line 3)"],
    [4, "per_listener_settings must be true or false, not 'no' (line 4)"],
    [5, "require_certificate must be true or false, not 'on' (line 5)"],
    [6, "use_identity_as_username must be true or false, not '2' (line 6)"],
    [7, "protocol must be mqtt or websockets, not 'ws' (line 7)"],
  ]);
});

test('a path given twice in one scope', () => {
  assert.deepEqual(errorsOf('password_file a', 'acl_file b', 'password_file c', 'listener 8883', 'certfile x',
    'keyfile y', 'certfile z', 'listener 8884', 'certfile x', 'keyfile y'), [
    [3, 'password_file given twice (first on line 1) (line 3)'],
    [7, 'certfile given twice for this listener (first on line 5) (line 7)'],
  ]);
});

test('per-listener options before any listener need a port line', () => {
  assert.deepEqual(errorsOf('max_connections 5', 'allow_anonymous false', 'protocol mqtt'), [
    [1, "'max_connections' before any listener: add a 'listener' line before it (mosquitto would apply it to an implicit listener on port 1883 on every interface) (line 1)"],
    [3, "'protocol' before any listener: add a 'listener' line before it (mosquitto would apply it to an implicit listener on port 1883 on every interface) (line 3)"],
  ]);
  // With `port` anywhere they configure Mosquitto's default listener, as Mosquitto does.
  assert.deepEqual(configOf('max_connections 5', 'port 1883').listeners, [{ port: 1883, host: null, ...PLAIN, maxConnections: 5 }]);
});

test('max_connections is per listener; the top-level figure is their sum, or -1 when one is unlimited', () => {
  const config = configOf('listener 1883', 'max_connections 10', 'listener 1884', 'max_connections 0', 'listener 1885', 'max_connections 5');
  assert.deepEqual(config.listeners.map((listener) => listener.maxConnections), [10, 0, 5]);
  assert.equal(config.maxConnections, 15);
  assert.equal(configOf('listener 1883', 'max_connections 10', 'listener 1884').maxConnections, -1);
});

test('TLS options that do not make a working listener', () => {
  assert.deepEqual(errorsOf('listener 8883', 'certfile c.pem', 'listener 8884', 'keyfile k.pem'), [
    [2, 'certfile without keyfile on listener 8883 (every interface): TLS needs both (line 2)'],
    [4, 'keyfile without certfile on listener 8884 (every interface): TLS needs both (line 4)'],
  ]);
  assert.deepEqual(errorsOf('listener 1883 127.0.0.1', 'cafile ca.pem', 'require_certificate true', 'use_identity_as_username true'), [
    [2, 'cafile on listener 1883 127.0.0.1, which has no certfile and keyfile, so no TLS (line 2)'],
    [3, 'require_certificate on listener 1883 127.0.0.1, which has no certfile and keyfile, so no TLS (line 3)'],
    [4, 'use_identity_as_username on listener 1883 127.0.0.1, which has no certfile and keyfile, so no TLS (line 4)'],
  ]);
  // false is the default, so saying it on a plain listener is harmless.
  assert.deepEqual(errorsOf('listener 1883', 'require_certificate false', 'use_identity_as_username false'), []);
  assert.deepEqual(errorsOf('listener 8883', 'certfile c', 'keyfile k', 'require_certificate true', 'listener 8884',
    'certfile c', 'keyfile k', 'use_identity_as_username true'), [
    [4, 'require_certificate true on listener 8883 (every interface) needs cafile: without it no client certificate can be verified (line 4)'],
    [8, 'use_identity_as_username true on listener 8884 (every interface) needs require_certificate true (line 8)'],
  ]);
  assert.deepEqual(errorsOf('listener 8080', 'protocol websockets', 'certfile c', 'keyfile k', 'cafile a', 'require_certificate true'), [
    [6, 'require_certificate is not available on websockets listener 8080 (every interface) (line 6)'],
  ]);
});

test('listeners that would clash on one port', () => {
  assert.deepEqual(errorsOf('listener 1883 127.0.0.1', 'listener 1884', 'listener 1883 127.0.0.1', 'listener 1884 10.0.0.1',
    'listener 1883 10.0.0.1', 'port 1883'), [
    [3, 'listener 1883 127.0.0.1 clashes with listener 1883 127.0.0.1 on line 1 (line 3)'],
    [4, 'listener 1884 10.0.0.1 clashes with listener 1884 (every interface) on line 2 (line 4)'],
    [6, 'port 1883 (every interface) clashes with listener 1883 127.0.0.1 on line 1 (line 6)'],
  ]);
});

test('never throws, and every error names a line that exists', () => {
  const words = ['listener', 'port', '1883', '0', '-1', 'true', 'x', '#', ' ', '\t', '\r', 'certfile', 'keyfile',
    'cafile', 'require_certificate', 'protocol', 'websockets', 'password_file', 'max_connections', '127.0.0.1'];
  let seed = 7;
  const next = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed; };
  for (let round = 0; round < 2000; round++) {
    const lines = [];
    for (let line = next() % 8; line > 0; line--) {
      lines.push(Array.from({ length: next() % 5 }, () => words[next() % words.length]).join(next() % 3 ? ' ' : ''));
    }
    const { config, errors } = parseConfig(lines.join('\n'), { file: FILE });
    assert.ok(config.listeners.length > 0);
    for (const { line, message } of errors) {
      assert.ok(line >= 1 && line <= lines.length && message.endsWith(`(line ${line})`), message);
    }
  }
});

/** Parses text and returns the warnings as [line, message] pairs (errors must be empty). */
function warningsOf(...lines) {
  const { errors, warnings } = parseConfig(lines.join('\n'), { file: FILE });
  assert.deepEqual(errors, []);
  return warnings.map(({ line, message }) => [line, message]);
}

test('ignored options are checked, then named in a warning; nothing changes', () => {
  assert.deepEqual(warningsOf('autosave_interval 1800', 'autosave_on_changes false', 'set_tcp_nodelay true', 'retry_interval 20',
    'websockets_log_level 0', 'websockets_headers_size 4096', 'auth_plugin_deny_special_chars true'), [
    [1, 'autosave_interval is ignored: nothing to schedule: with persistence, wrenmq writes before it acknowledges (line 1)'],
    [2, 'autosave_on_changes is ignored: nothing to schedule: with persistence, wrenmq writes before it acknowledges (line 2)'],
    [3, "set_tcp_nodelay is ignored: plain TCP listeners always set TCP_NODELAY (one write per connection per turn); TLS ones keep Node's default (line 3)"],
    [4, 'retry_interval is ignored: not in mosquitto.conf(5) 2.0.11, whose broker also only warns that it is gone (line 4)'],
    [5, "websockets_log_level is ignored: libwebsockets' log level: the WebSocket server is Node's ws (line 5)"],
    [6, "websockets_headers_size is ignored: libwebsockets' header buffer: Node reads HTTP headers up to 16 KiB (line 6)"],
    [7, 'auth_plugin_deny_special_chars is ignored: only concerns auth plugins, which are refused (line 7)'],
  ]);
  assert.deepEqual(configOf('autosave_interval 1800', 'set_tcp_nodelay true'), configOf(''));
  assert.deepEqual(errorsOf('autosave_interval -1', 'set_tcp_nodelay yes', 'websockets_headers_size 65536', 'retry_interval'), [
    [1, 'autosave_interval -1 is out of range 0..2147483647 (line 1)'],
    [2, "set_tcp_nodelay must be true or false, not 'yes' (line 2)"],
    [3, 'websockets_headers_size 65536 is out of range 0..65535 (line 3)'],
    [4, "missing argument for 'retry_interval': expected a number (line 4)"],
  ]);
  // Bridge options stay bridge options: after a connection, or an error.
  assert.deepEqual(errorsOf('idle_timeout 60'), [
    [1, "'idle_timeout' before any 'connection' line: bridge options follow the connection they configure (line 1)"],
  ]);
  const { errors, warnings } = parseConfig(['connection up', 'address 127.0.0.1', 'topic a/#', 'idle_timeout 60', 'threshold 0'].join('\n'));
  assert.deepEqual(errors.map((error) => error.message), ['threshold 0 is out of range 1..2147483647 (line 5)']);
  assert.deepEqual(warnings.map((warning) => warning.line), [4]);
});

test("options whose Mosquitto default is wrenmq's behaviour: that value, and no other", () => {
  assert.deepEqual(configOf('allow_duplicate_messages true', 'allow_zero_length_clientid 1', 'check_retain_source false',
    'queue_qos0_messages false', 'upgrade_outgoing_qos 0', 'max_inflight_bytes 0', 'memory_limit 0', 'message_size_limit 0'), configOf(''));
  assert.deepEqual(errorsOf('allow_duplicate_messages false', 'queue_qos0_messages true', 'max_inflight_bytes 1000', 'memory_limit 1000000',
    'message_size_limit 1000', 'upgrade_outgoing_qos true'), [
    [1, 'allow_duplicate_messages false is not supported: only true (the default): a client whose subscriptions overlap gets one copy per matching subscription (line 1)'],
    [2, 'queue_qos0_messages true is not supported: only false (the default): offline sessions keep QoS 1 and 2 messages only (line 2)'],
    [3, 'max_inflight_bytes 1000 is not supported: only 0 (no limit, the default): in-flight deliveries are counted, not sized (line 3)'],
    [4, "memory_limit 1000000 is not supported: only 0 (no limit, the default): the broker's memory is fixed at start by the board profile (`make budget`) (line 4)"],
    [5, 'message_size_limit 1000 is not supported: only 0 or 268435455 (no limit): the broker has no payload limit; use max_packet_size (line 5)'],
    [6, 'upgrade_outgoing_qos true is not supported: only false (the default): a delivery takes the lower of the two QoS, as MQTT requires (line 6)'],
  ]);
});

test('log_dest and log_type: repeatable, the first replaces the default, none clears, all sets every type', () => {
  assert.deepEqual(configOf('log_dest stdout', 'log_dest stderr', 'log_dest stdout').logDest, [{ kind: 'stdout' }, { kind: 'stderr' }]);
  assert.deepEqual(configOf('log_dest stdout', 'log_dest none').logDest, []);
  assert.deepEqual(configOf('log_dest none', 'log_dest file  logs/my broker.log ').logDest, [{ kind: 'file', path: '/etc/wrenmq/logs/my broker.log' }]);
  assert.deepEqual(configOf('log_type all').logType, ['error', 'warning', 'notice', 'information', 'subscribe', 'unsubscribe', 'websockets', 'debug']);
  assert.deepEqual(configOf('log_type all', 'log_type none', 'log_type error').logType, ['error']);
  assert.deepEqual(configOf('log_type warning', 'log_type error').logType, ['error', 'warning']);
  assert.deepEqual(warningsOf('log_dest topic'), [[1, 'log_dest topic is ignored: wrenmq does not publish its log on $SYS/broker/log yet (line 1)']]);
  assert.deepEqual(errorsOf('log_dest file /a.log', 'log_dest file /b.log', 'log_dest dlt', 'log_dest disk', 'log_dest', 'log_dest file',
    'log_type chatty', 'log_type', 'log_type error warning', 'log_dest stderr stdout'), [
    [2, 'log_dest file given twice (first on line 1): one log file only (line 2)'],
    [3, 'log_dest dlt is not supported: wrenmq has no Diagnostic Log and Trace output (line 3)'],
    [4, "log_dest must be one of stderr, stdout, file, syslog, topic, none, not 'disk' (line 4)"],
    [5, "missing argument for 'log_dest': expected stderr, stdout, file, syslog, topic, none (line 5)"],
    [6, "missing argument for 'log_dest file': expected a path (line 6)"],
    [7, "log_type must be one of none, all, error, warning, notice, information, subscribe, unsubscribe, websockets, debug, not 'chatty' (line 7)"],
    [8, "missing argument for 'log_type': expected none, all, error, warning, notice, information, subscribe, unsubscribe, websockets, debug (line 8)"],
    [9, "extra argument 'warning' after 'log_type error' (line 9)"],
    [10, "extra argument 'stdout' after 'log_dest stderr' (line 10)"],
  ]);
});

test('log_timestamp_format: the strftime subset only; log_facility 0..7', () => {
  assert.equal(configOf('log_timestamp_format [%Y-%m-%d %H:%M:%S %z] %s %%').logTimestampFormat, '[%Y-%m-%d %H:%M:%S %z] %s %%');
  assert.deepEqual(errorsOf('log_timestamp_format %F %T', 'log_timestamp_format', 'log_timestamp_format 100%', 'log_facility 8', 'log_facility -1'), [
    [1, "log_timestamp_format: '%F' is not supported (only %Y %m %d %H %M %S %z %s %%) (line 1)"],
    [2, "missing argument for 'log_timestamp_format': expected a format (line 2)"],
    [3, "log_timestamp_format: ends with a lone '%' (line 3)"],
    [4, 'log_facility 8 is out of range 0..7 (line 4)'],
    [5, 'log_facility -1 is out of range 0..7 (line 5)'],
  ]);
  assert.deepEqual(errorsOf('log_timestamp_format %s', 'log_timestamp_format %Y'), [[2, 'log_timestamp_format given twice (first on line 1) (line 2)']]);
});

test('persistent_client_expiration: an integer and h, d, w, m (30 days) or y (365 days), in seconds', () => {
  const seconds = (value) => configOf(`persistent_client_expiration ${value}`).persistentClientExpiration;
  assert.deepEqual(['1h', '2d', '1w', '2m', '1y', '68y'].map(seconds), [3600, 172800, 604800, 5184000, 31536000, 68 * 31536000]);
  assert.equal(configOf('').persistentClientExpiration, null);
  assert.deepEqual(errorsOf('persistent_client_expiration 14', 'persistent_client_expiration 1.5d', 'persistent_client_expiration 0d',
    'persistent_client_expiration 69y', 'persistent_client_expiration', 'persistent_client_expiration 1d 2d'), [
    [1, "persistent_client_expiration must be a whole number and one of h, d, w, m, y (hours, days, weeks, months, years), not '14' (line 1)"],
    [2, "persistent_client_expiration must be a whole number and one of h, d, w, m, y (hours, days, weeks, months, years), not '1.5d' (line 2)"],
    [3, 'persistent_client_expiration must be longer than 0 (leave it out to never expire sessions) (line 3)'],
    [4, 'persistent_client_expiration 69y is more than 2147483647 seconds (line 4)'],
    [5, "missing argument for 'persistent_client_expiration': expected a duration such as 14d (line 5)"],
    [6, "extra argument '2d' after 'persistent_client_expiration 1d' (line 6)"],
  ]);
});

test('max_queued_bytes, max_sessions_per_user, pid_file and user', () => {
  const config = configOf('max_queued_bytes 1048576', 'max_sessions_per_user 4', 'pid_file run/wrenmq.pid', 'user nobody', 'user wrenmq');
  assert.equal(config.maxQueuedBytes, 1048576);
  assert.deepEqual(config.maxSessionsPerUser, { count: 4 });
  assert.equal(config.pidFile, '/etc/wrenmq/run/wrenmq.pid');
  assert.equal(config.user, 'wrenmq', 'user given twice: the last wins, as in Mosquitto');
  assert.deepEqual(configOf('max_sessions_per_user 100%').maxSessionsPerUser, { percent: 100 });
  assert.deepEqual(configOf('max_sessions_per_user 0').maxSessionsPerUser, { count: 0 });
  assert.deepEqual(errorsOf('max_sessions_per_user 0%', 'max_sessions_per_user 101%', 'max_sessions_per_user half', 'max_queued_bytes -1',
    'pid_file a', 'pid_file b', 'user'), [
    [1, 'max_sessions_per_user 0% is out of range 1%..100% (line 1)'],
    [2, 'max_sessions_per_user 101% is out of range 1%..100% (line 2)'],
    [3, "max_sessions_per_user must be a number or a percentage such as 50%, not 'half' (line 3)"],
    [4, 'max_queued_bytes -1 is out of range 0..2147483647 (line 4)'],
    [6, 'pid_file given twice (first on line 5) (line 6)'],
    [7, "missing argument for 'user': expected a name (line 7)"],
  ]);
});

test("include_dir: the directory's .conf files in Mosquitto's order, read at that line, each in its own scope", (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'wrenmq-include-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const conf = join(dir, 'conf.d');
  mkdirSync(conf);
  // mosquitto.conf(5)'s example (b, A, 01, a, B, 00 load as 00, 01, A, a, B, b), plus what is not loaded.
  for (const name of ['b', 'A', '01', 'a', 'B', '00', '_z']) writeFileSync(join(conf, `${name}.conf`), `# ${name}\n`);
  writeFileSync(join(conf, '.conf'), 'not loaded: only ".conf"\n');
  writeFileSync(join(conf, 'notes.txt'), 'not loaded: not .conf\n');
  const main = join(dir, 'mosquitto.conf');
  const read = (...lines) => { writeFileSync(main, lines.join('\n')); return parseConfig(lines.join('\n'), { file: main }); };
  const { config, errors } = read('include_dir conf.d');
  assert.deepEqual(errors, []);
  assert.deepEqual(config.files, [main, ...['00', '01', 'A', 'a', 'B', 'b', '_z'].map((name) => join(conf, `${name}.conf`))]);
  assert.deepEqual(['b', 'A', '01', 'a', 'B', '00'].sort(includeOrder), ['00', '01', 'A', 'a', 'B', 'b']);

  // Errors name the included file and its line; they come after the main file's.
  writeFileSync(join(conf, 'B.conf'), '# fine\nbogus 1\nlistener 1883\nmax_connections x\n');
  writeFileSync(join(conf, 'b.conf'), 'include_dir /tmp\n');
  assert.deepEqual(read('include_dir conf.d', 'nonsense').errors, [
    { file: main, line: 2, message: "unknown option 'nonsense' (line 2)" },
    { file: join(conf, 'B.conf'), line: 2, message: "unknown option 'bogus' (line 2)" },
    { file: join(conf, 'B.conf'), line: 4, message: "max_connections must be a number, not 'x' (line 4)" },
    { file: join(conf, 'b.conf'), line: 1, message: 'include_dir in an included file: mosquitto reads include_dir only in the main file (and skips it elsewhere) (line 1)' },
  ]);

  // Each file starts on the default listener: the main file's listener carries on after include_dir.
  writeFileSync(join(conf, 'B.conf'), 'listener 1884\n');
  writeFileSync(join(conf, 'b.conf'), 'max_connections 3\n');
  assert.deepEqual(read('listener 1883', 'include_dir conf.d', 'max_connections 7').errors.map(({ file, message }) => [file, message]), [
    [join(conf, 'b.conf'), "'max_connections' before any listener: add a 'listener' line before it (mosquitto would apply it to an implicit listener on port 1883 on every interface) (line 1)"],
  ]);
  writeFileSync(join(conf, 'b.conf'), 'password_file ../pw\nlistener 1883\n');
  const both = read('listener 1885', 'include_dir conf.d', 'max_connections 7', 'password_file other');
  assert.deepEqual(both.errors.map(({ file, message }) => [file, message]), [
    [main, `password_file given twice (first on line 1 of ${join(conf, 'b.conf')}) (line 4)`],
  ]);
  assert.equal(both.config.passwordFile, join(dir, 'pw'), "an included file's relative paths follow that file");
  assert.deepEqual(both.config.listeners.map(({ port, maxConnections }) => [port, maxConnections]), [[1885, 7], [1884, -1], [1883, -1]]);

  // A directory that cannot be opened is an error, as in Mosquitto 2.0.11 ("Unable to open include_dir").
  assert.deepEqual(read('include_dir missing.d').errors.map(({ message }) => message), [
    `include_dir ${join(dir, 'missing.d')} cannot be opened (ENOENT) (line 1)`,
  ]);
});
