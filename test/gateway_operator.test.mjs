// Goal: the gateway gives an operator what Mosquitto gives: its log (lines, types, destinations,
// connection messages worded as Mosquitto 2.0.11's), a command line that refuses mistakes, every
// mosquitto.conf(5) option accounted for, pid file, include_dir, SIGHUP, a systemd unit, and
// Debian's stock mosquitto.conf served as is.
// Method: log.mjs with in-memory streams, `date`, and a Unix datagram socket standing in for
// /dev/log; the option table against the installed man page; then the gateway as a child process
// on 127.0.0.1 and free ports, with real mosquitto_pub/sub clients, its log file read back. Every
// wait is bounded; children and temp dirs are cleaned up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brokerEventLine, brokerEventsLog, Logger, timestampFormat } from '../tools/gateway/log.mjs';
import { parseConfig } from '../tools/gateway/config.mjs';
import { clientHints } from '../tools/gateway/hints.mjs';
import { BrokerHost } from '../tools/gateway/host.mjs';
import { hashPassword } from '../tools/gateway/passwords.mjs';
import { IGNORED, OPTIONS, OPTIONS_TABLE_MARKER, optionsTableMarkdown, REFUSED, SUPPORTED } from '../tools/gateway/options.mjs';
import { freePort, run, sleep, start, until } from './support/brokers.mjs';

/** A stream that keeps what is written to it. */
function memoryStream() {
  const chunks = [];
  return { write: (text) => { chunks.push(text); return true; }, text: () => chunks.join('') };
}

/** A temp dir removed after the test. */
function tempDir(t, prefix) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const REPO = new URL('../', import.meta.url).pathname;
const MAIN = join(REPO, 'tools/gateway/main.mjs');
const MAN_PAGE = '/usr/share/man/man5/mosquitto.conf.5.gz';
const STOCK_CONF = '/etc/mosquitto/mosquitto.conf';
const SECONDS = 1796689246; // a moment, in Unix seconds, for lines with fixed timestamps

// ---- log.mjs ----------------------------------------------------------------------------------

test("log lines: '<unix seconds>: <message>' on stderr by default, for error, warning, notice and information", () => {
  const stderr = memoryStream();
  const stdout = memoryStream();
  const logger = new Logger({}, { stderr, stdout, now: () => new Date(SECONDS * 1000 + 999) });
  for (const type of ['error', 'warning', 'notice', 'information', 'subscribe', 'unsubscribe', 'websockets', 'debug']) logger[type](type);
  assert.equal(stderr.text(), ['error', 'warning', 'notice', 'information'].map((type) => `${SECONDS}: ${type}\n`).join(''));
  assert.equal(stdout.text(), '');
  const plain = memoryStream();
  new Logger({ dests: [{ kind: 'stdout' }], types: ['debug'], timestamp: false }, { stdout: plain }).debug('no stamp');
  assert.equal(plain.text(), 'no stamp\n');
});

test('log_timestamp_format: local time as strftime writes it (checked against date(1) in three time zones)', (t) => {
  const format = '%Y-%m-%dT%H:%M:%S%z [%s] %% %d/%m';
  const saved = process.env.TZ;
  t.after(() => { if (saved === undefined) delete process.env.TZ; else process.env.TZ = saved; });
  for (const zone of ['UTC', 'Asia/Kolkata', 'America/St_Johns']) {
    for (const seconds of [SECONDS, 1720000000, 946684799]) {
      process.env.TZ = zone;
      const date = spawnSync('date', ['-d', `@${seconds}`, `+${format}`], { encoding: 'utf8', env: { ...process.env, TZ: zone } });
      if (date.status !== 0) return t.skip(`date(1) could not format: ${date.stderr}`);
      assert.equal(timestampFormat(format, new Date(seconds * 1000)), date.stdout.trim(), `${zone} ${seconds}`);
    }
  }
  return undefined;
});

test('log_dest file: appended to, line by line; reopen() after a rename writes a new file (logrotate)', (t) => {
  const dir = tempDir(t, 'wrenmq-log-');
  const file = join(dir, 'wrenmq.log');
  const logger = new Logger({ dests: [{ kind: 'file', path: file }], timestamp: false });
  logger.notice('one');
  assert.equal(readFileSync(file, 'utf8'), 'one\n', 'written when the call returns');
  renameSync(file, `${file}.1`);
  logger.notice('two (still the old file, until reopened)');
  logger.reopen();
  logger.notice('three');
  logger.close();
  assert.equal(readFileSync(`${file}.1`, 'utf8'), 'one\ntwo (still the old file, until reopened)\n');
  assert.equal(readFileSync(file, 'utf8'), 'three\n');
  assert.throws(() => new Logger({ dests: [{ kind: 'file', path: join(dir, 'missing', 'x.log') }] }),
    /^Error: Unable to open log file .*missing\/x\.log for writing: ENOENT$/);
});

test('log_dest syslog: one logger(1) child, each line with its <priority> (facility daemon or localN, severity by type)', async (t) => {
  if (spawnSync('python3', ['-c', 'import socket; socket.AF_UNIX'], { stdio: 'ignore' }).status !== 0) return t.skip('python3 with AF_UNIX sockets is needed to stand in for /dev/log');
  if (spawnSync('sh', ['-c', 'command -v logger'], { stdio: 'ignore' }).status !== 0) return t.skip('logger(1) (util-linux) is not installed');
  const dir = tempDir(t, 'wrenmq-syslog-');
  const socketPath = join(dir, 'log');
  // A datagram socket, as /dev/log is: Node cannot open one, Python can.
  const receiver = spawn('python3', ['-c', [
    'import socket, sys',
    's = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)',
    's.bind(sys.argv[1]); s.settimeout(10); print("ready", flush=True)',
    'for _ in range(4): print(s.recv(4096).decode().strip(), flush=True)',
  ].join('\n'), socketPath], { stdio: ['ignore', 'pipe', 'inherit'] });
  let received = '';
  receiver.stdout.on('data', (data) => { received += data; });
  t.after(() => receiver.kill('SIGKILL'));
  await until(() => received.includes('ready'), 5000, 'the stand-in syslog socket');
  const stderr = memoryStream();
  const daemon = new Logger({ dests: [{ kind: 'syslog' }], types: ['error', 'notice'] }, { syslogSocket: socketPath, stderr, now: () => new Date(SECONDS * 1000) });
  daemon.notice('New connection from 127.0.0.1:53122 on port 1883.');
  daemon.error('Error: something');
  daemon.information('not a logged type');
  const local5 = new Logger({ dests: [{ kind: 'syslog' }], types: ['warning', 'debug'], facility: 5 }, { syslogSocket: socketPath, stderr, now: () => new Date(SECONDS * 1000) });
  local5.warning('Warning: local5');
  local5.debug('debug line');
  await until(() => received.split('\n').length > 5, 5000, `four datagrams (have ${JSON.stringify(received)})`);
  daemon.close();
  local5.close();
  const priority = (line) => Number(/^<(\d+)>/.exec(line)?.[1]);
  const lines = received.trim().split('\n').slice(1).sort((a, b) => priority(a) - priority(b));
  // daemon (3) * 8 + notice (5) = 29, + error (3) = 27; local5 (21) * 8 + warning (4) = 172, + debug (7) = 175.
  const expected = [[27, 'Error: something'], [29, 'New connection from 127.0.0.1:53122 on port 1883.'], [172, 'Warning: local5'], [175, 'debug line']];
  assert.equal(lines.length, 4, received);
  for (const [index, [priority, message]] of expected.entries()) {
    assert.match(lines[index], new RegExp(`^<${priority}>.*wrenmq: ${SECONDS}: ${message.replace(/[.]/g, '\\.')}$`), lines[index]);
  }
  assert.equal(stderr.text(), '', 'nothing fell back to stderr');
  return undefined;
});

test('log_dest syslog without logger(1) or without the socket: stderr, after one warning', () => {
  for (const [io, reason] of [[{ env: { PATH: '/nonexistent' } }, 'logger(1) is not on PATH'],
    [{ syslogSocket: '/nonexistent/log' }, 'there is no syslog socket at /nonexistent/log']]) {
    const stderr = memoryStream();
    const logger = new Logger({ dests: [{ kind: 'syslog' }], timestamp: false }, { ...io, stderr });
    logger.notice('one');
    logger.notice('two');
    logger.close();
    assert.equal(stderr.text(), `Warning: syslog unavailable (${reason}): logging to stderr instead.\none\ntwo\n`);
  }
});

test("the broker host's events, worded as Mosquitto 2.0.11 words them (seen with log_type all)", () => {
  const address = '127.0.0.1:53122';
  const cases = [
    ['accept', { address, listener: 1883 }, ['notice', 'New connection from 127.0.0.1:53122 on port 1883.']],
    ['connect', { clientId: 'pubby', username: 'alice', address, listener: 1883, version: 4, clean: true, keepAlive: 60, sessionPresent: false },
      ['notice', "New client connected from 127.0.0.1:53122 as pubby (p2, c1, k60, u'alice')."]],
    ['connect', { clientId: 'pub5', username: null, address, listener: 1883, version: 5, clean: true, keepAlive: 30 },
      ['notice', 'New client connected from 127.0.0.1:53122 as pub5 (p5, c1, k30).']],
    ['connect', { clientId: 'pub31', username: null, address, listener: 1883, version: 3, clean: false, keepAlive: 60 },
      ['notice', 'New client connected from 127.0.0.1:53122 as pub31 (p1, c0, k60).']],
    ['disconnect', { clientId: 'pubby', username: 'alice', address, reason: 'disconnected', code: null }, ['notice', 'Client pubby disconnected.']],
    ['disconnect', { clientId: 'killed', username: null, address, reason: 'closed its connection', code: null }, ['notice', 'Client killed closed its connection.']],
    ['disconnect', { clientId: 'sleepy', username: null, address, reason: 'exceeded timeout', code: 0x8d }, ['notice', 'Client sleepy has exceeded timeout, disconnecting.']],
    ['disconnect', { clientId: null, username: null, address, reason: 'protocol error', code: 0x82 }, ['notice', 'Client <unknown> disconnected due to protocol error.']],
    ['disconnect', { clientId: 'same', username: null, address, reason: 'session taken over', code: 0x8e }, ['error', 'Client same already connected, closing old connection.']],
    ['disconnect', { clientId: 'slow', username: null, address, reason: 'slow consumer', code: null }, ['notice', 'Client slow disconnected: slow consumer.']],
    ['disconnect', { clientId: 'x', username: null, address, reason: 'server shutting down', code: 0x8b }, ['notice', 'Client x disconnected: server shutting down (reason code 0x8b).']],
    ['refuse', { clientId: 'badpw', username: 'alice', address, reason: 'bad user name or password', code: 0x86 }, ['notice', 'Client badpw disconnected, not authorised.']],
    ['refuse', { clientId: null, username: null, address, reason: 'not authorised', code: 0x87 }, ['notice', 'Client <unknown> disconnected, not authorised.']],
    ['refuse', { clientId: 'many', username: 'bob', address, reason: 'quota exceeded', code: 0x97 }, ['notice', 'Client many disconnected, quota exceeded (reason code 0x97).']],
    ['warning', { message: 'a subscriber is slow' }, ['warning', 'Warning: a subscriber is slow']],
    ['error', { message: 'the flash file cannot be written' }, ['error', 'Error: the flash file cannot be written']],
  ];
  for (const [name, event, line] of cases) {
    assert.deepEqual(brokerEventLine(name, event), line, name);
    const quiet = brokerEventLine(name, event, { connectionMessages: false });
    assert.deepEqual(quiet, name === 'warning' || name === 'error' ? line : null, `${name} with connection_messages false`);
  }
  // Through an EventEmitter, as BrokerHost is one.
  const host = new EventEmitter();
  const stderr = memoryStream();
  assert.equal(brokerEventsLog(host, new Logger({ timestamp: false }, { stderr }), { connectionMessages: true }), true);
  for (const [name, event] of cases) host.emit(name, event);
  assert.equal(stderr.text(), cases.map(([, , [, message]]) => `${message}\n`).join(''));
  assert.equal(brokerEventsLog({}, new Logger({}, { stderr })), false, 'a host that emits nothing is reported, not an error');
});

// ---- the option table -------------------------------------------------------------------------

/**
 * The options mosquitto.conf(5) documents: each is a paragraph `.PP`, then a line opening with
 * its name in bold (`\fBname\fR`, sometimes two names: `\fBaddress\fR …, \fBaddresses\fR …`),
 * then `.RS` (the indented description). Examples and prose use bold too, but not that shape.
 */
function manPageOptions(roff) {
  const lines = roff.split('\n');
  const names = new Set();
  for (let index = 1; index + 1 < lines.length; index++) {
    if (lines[index - 1] !== '.PP' || !lines[index].startsWith('\\fB') || !lines[index + 1].startsWith('.RS')) continue;
    for (const [, bold] of lines[index].matchAll(/\\fB(.*?)\\fR/g)) {
      const name = bold.replace(/\\&/g, '').replace(/\\-/g, '-');
      if (/^[a-z][a-z0-9_.]*\*?$/.test(name)) names.add(name);
    }
  }
  return names;
}

test('every option mosquitto.conf(5) documents is in the option table', (t) => {
  if (!existsSync(MAN_PAGE)) return t.skip(`${MAN_PAGE} is not installed (Debian's mosquitto package has it)`);
  const names = manPageOptions(spawnSync('zcat', [MAN_PAGE], { encoding: 'utf8' }).stdout);
  assert.ok(names.size >= 100 && names.has('listener') && names.has('auth_opt_*') && names.has('ciphers_tls1.3') && names.has('addresses'),
    `the extraction found ${names.size} names: ${[...names].join(' ')}`);
  assert.deepEqual([...names].filter((name) => !Object.hasOwn(OPTIONS, name)), []);
  return undefined;
});

test('the option table: one status and a one-line note each; printed as Markdown by config.mjs --options-table', () => {
  for (const [name, { section, status, note }] of Object.entries(OPTIONS)) {
    assert.ok([SUPPORTED, IGNORED, REFUSED].includes(status), name);
    assert.ok(['general', 'listener', 'bridge'].includes(section), name);
    assert.ok(!note.includes('\n'), name);
    if (status === IGNORED) assert.ok(note.length > 0, `${name}: an ignored option says why ignoring it is harmless`);
  }
  const printed = spawnSync(process.execPath, [join(REPO, 'tools/gateway/config.mjs'), '--options-table'], { encoding: 'utf8' });
  assert.equal(printed.status, 0, printed.stderr);
  assert.equal(printed.stdout, `${optionsTableMarkdown()}\n`);
  const rows = printed.stdout.trim().split('\n');
  assert.equal(rows.length, Object.keys(OPTIONS).length + 2);
  assert.equal(rows[2], '| `acl_file` | supported | user, topic and pattern lines (%c, %u); nothing matching denies; reloaded on SIGHUP |');
  assert.equal(spawnSync(process.execPath, [join(REPO, 'tools/gateway/config.mjs')], { encoding: 'utf8' }).status, 1);
});

test("README.md's option table is the generated one", (t) => {
  const readme = readFileSync(join(REPO, 'README.md'), 'utf8').split('\n');
  const at = readme.indexOf(OPTIONS_TABLE_MARKER);
  if (at < 0) return t.skip(`README.md has no line '${OPTIONS_TABLE_MARKER}' yet: the table goes under it`);
  const table = [];
  for (let index = at + 1; index < readme.length && (readme[index].startsWith('|') || table.length === 0); index++) {
    if (readme[index].startsWith('|')) table.push(readme[index]);
  }
  assert.equal(table.join('\n'), optionsTableMarkdown(), 'run node tools/gateway/config.mjs --options-table and paste its output under the marker');
  return undefined;
});

test('each status does what it says: refused options are errors, ignored ones warnings that change nothing', () => {
  const bridgeBefore = ['connection b', 'address 127.0.0.1', 'topic t/#'];
  for (const [name, { section, status }] of Object.entries(OPTIONS)) {
    if (status === SUPPORTED) continue;
    const word = name.endsWith('*') ? name.replace('*', 'x') : name;
    const before = section === 'bridge' ? bridgeBefore : [];
    const line = before.length + 1;
    const { config, errors, warnings } = parseConfig([...before, `${word} 1`].join('\n'));
    if (status === REFUSED) {
      assert.deepEqual(errors.map((error) => error.line), [line], `${name}: ${JSON.stringify(errors)}`);
      assert.match(errors[0].message, new RegExp(`^unsupported option '${word}'`), name);
    } else {
      assert.deepEqual(errors, [], name);
      assert.deepEqual(warnings.map((warning) => [warning.line, warning.message.startsWith(`${name} is ignored: `)]), [[line, true]], name);
      assert.deepEqual(config, parseConfig(before.join('\n')).config, `${name} changes nothing`);
    }
  }
});

// ---- the command line -------------------------------------------------------------------------

/** Runs main.mjs to completion (bounded); { status, stdout, stderr }. */
function mainRun(args, options = {}) {
  return spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', timeout: 20000, ...options });
}

test('--help and -h print every flag and exit 0; mistakes are refused with exit code 1 and one line on stderr', () => {
  for (const flag of ['--help', '-h']) {
    const { status, stdout, stderr } = mainRun(['--port', '1', flag, '--bogus']);
    assert.equal(status, 0, stderr);
    for (const name of ['--board FILE', '--config FILE', '--port N', '--host ADDR', '--flash FILE', '--check', '--help']) assert.ok(stdout.includes(name), name);
    assert.equal(stderr, '');
  }
  const mistakes = [
    [['--bogus'], "unknown flag '--bogus' (see --help)"],
    [['-p', '1883'], "unknown flag '-p' (see --help)"],
    [['--port'], '--port needs a value: --port N'],
    [['--config', '--port', '1883'], '--config needs a value: --config FILE'],
    [['mosquitto.conf'], "unexpected argument 'mosquitto.conf' (see --help)"],
    [['--port', '0'], "--port must be a number from 1 to 65535, not '0'"],
    [['--port', '65536'], "--port must be a number from 1 to 65535, not '65536'"],
    [['--port', '18x'], "--port must be a number from 1 to 65535, not '18x'"],
    [['--port=1884'], "write '--port 1884', not '--port=1884' (see --help)"],
    [['--check', '--check'], '--check given twice'],
    [['--board', '/nonexistent/board.json'], "--board /nonexistent/board.json: ENOENT: no such file or directory, open '/nonexistent/board.json'"],
  ];
  for (const [args, message] of mistakes) {
    const { status, stdout, stderr } = mainRun(args);
    assert.deepEqual([status, stdout, stderr], [1, '', `wrenmq: ${message}\n`], args.join(' '));
  }
});

test('--check reads the configuration and every file it names, and exits 0 or 1 without listening', (t) => {
  const dir = tempDir(t, 'wrenmq-check-');
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(join(dir, 'passwords'), `alice:${hashPassword('secret')}\n`);
  // The limits main.mjs derives from these options are accepted by the broker host (--check builds one).
  writeFileSync(conf, ['listener 1883 127.0.0.1', 'password_file passwords', 'autosave_interval 60', 'persistent_client_expiration 2d',
    'max_queued_bytes 65536', 'max_sessions_per_user 50%', ''].join('\n'));
  const good = mainRun(['--config', conf, '--check']);
  assert.deepEqual([good.status, good.stdout], [0, `wrenmq: ${conf} with board sim: OK\n`], good.stderr);
  assert.equal(good.stderr, `wrenmq: warning: ${conf}:3: autosave_interval is ignored: nothing to schedule: with persistence, wrenmq writes before it acknowledges (line 3)\n`);
  const cases = [
    ['listener 1883\nmax_keepalive 5\n', `${conf}:2: max_keepalive 5 is out of range 10..65535 (line 2)`],
    ['listener 1883\npassword_file broken\n', `${join(dir, 'broken')}:1: no ':' between username and password hash (line 1)`, 'alice\n'],
    ['listener 1883\npid_file nowhere/wrenmq.pid\n', `pid_file ${join(dir, 'nowhere/wrenmq.pid')}: its directory does not exist`],
    ['listener 1883\nlog_dest file nowhere/wrenmq.log\n', `log_dest file ${join(dir, 'nowhere/wrenmq.log')}: its directory does not exist`],
    ['listener 8883\ncertfile missing.pem\nkeyfile missing.key\n', `certfile ${join(dir, 'missing.pem')}: ENOENT: no such file or directory, open '${join(dir, 'missing.pem')}'`],
  ];
  for (const [text, message, broken] of cases) {
    if (broken) writeFileSync(join(dir, 'broken'), broken);
    writeFileSync(conf, text);
    const { status, stdout, stderr } = mainRun(['--config', conf, '--check']);
    assert.deepEqual([status, stdout, stderr], [1, '', `wrenmq: ${message}\n`], text);
  }
});

test('pid_file: a directory that does not exist stops the gateway, naming the option', (t) => {
  const dir = tempDir(t, 'wrenmq-pid-');
  writeFileSync(join(dir, 'mosquitto.conf'), `listener 1883 127.0.0.1\npid_file ${dir}/missing/wrenmq.pid\n`);
  const { status, stderr } = mainRun(['--config', join(dir, 'mosquitto.conf')]);
  assert.equal(status, 1);
  assert.match(stderr, new RegExp(`^wrenmq: pid_file ${dir}/missing/wrenmq.pid: ENOENT: no such file or directory`));
});

test('start-up hints suggest only what the configuration lets a client do', () => {
  const hints = (text, listenerIndex = 0, address = { address: '127.0.0.1', port: 1883 }, certificateNames = []) => {
    const { config, errors } = parseConfig(text, { file: '/etc/wrenmq/mosquitto.conf' });
    assert.deepEqual(errors, []);
    return clientHints(config.listeners[listenerIndex], address, config, { certificateNames }).map(([, line]) => line);
  };
  assert.deepEqual(hints(''), [
    "Try: mosquitto_sub -h 127.0.0.1 -p 1883 -t '#' -v",
    'Try: mosquitto_pub -h 127.0.0.1 -p 1883 -t hello -m world',
  ]);
  assert.deepEqual(hints('listener 1884\npassword_file p', 0, { address: '::', port: 1884 }), [
    "Try: mosquitto_sub -h 127.0.0.1 -p 1884 -u <user> -P <password> -t '#' -v",
    'Try: mosquitto_pub -h 127.0.0.1 -p 1884 -u <user> -P <password> -t hello -m world',
  ]);
  assert.deepEqual(hints('listener 1884\nallow_anonymous true\npassword_file p\nacl_file a', 0, { address: '127.0.0.1', port: 1884 }), [
    "Try: mosquitto_sub -h 127.0.0.1 -p 1884 -t '<a topic acl_file lets you read>' -v",
    "Try: mosquitto_pub -h 127.0.0.1 -p 1884 -t '<a topic acl_file lets you write>' -m world",
  ]);
  assert.deepEqual(hints('listener 1884 10.0.0.5', 0, { address: '10.0.0.5', port: 1884 })[0], "Try: mosquitto_sub -h 10.0.0.5 -p 1884 -u <any name> -t '#' -v");
  assert.deepEqual(hints('listener 8883\ncertfile s.pem\nkeyfile s.key\ncafile ca/ca.pem\nrequire_certificate true\nuse_identity_as_username true', 0,
    { address: '::', port: 8883 }, ['broker.example'])[0],
  "Try: mosquitto_sub -h broker.example -p 8883 --cafile /etc/wrenmq/ca/ca.pem --cert client.crt --key client.key -t '#' -v");
  assert.deepEqual(hints('listener 8883\ncertfile s.pem\nkeyfile s.key\npassword_file p', 0, { address: '0.0.0.0', port: 8883 })[1],
    'Try: mosquitto_pub -h 127.0.0.1 -p 8883 --cafile ca.crt -u <user> -P <password> -t hello -m world');
  assert.deepEqual(hints('listener 8080\nprotocol websockets\nallow_anonymous true', 0, { address: '::1', port: 8080 }),
    ['Try: an MQTT client over WebSocket (subprotocol mqtt) at ws://[::1]:8080; mosquitto_sub has no WebSocket']);
  // The certificate's name that reaches the listener from here: the bound address, or a local name.
  const tls = 'listener 8883 127.0.0.1\ncertfile s.pem\nkeyfile s.key\nallow_anonymous true';
  assert.match(hints(tls, 0, { address: '127.0.0.1', port: 8883 }, ['broker.example', '127.0.0.1'])[0], /^Try: mosquitto_sub -h 127\.0\.0\.1 /);
  assert.match(hints(tls, 0, { address: '127.0.0.1', port: 8883 }, ['broker.example', 'localhost'])[0], /^Try: mosquitto_sub -h localhost /);
  assert.match(hints(tls, 0, { address: '127.0.0.1', port: 8883 }, ['broker.example'])[0], /^Try: mosquitto_sub -h broker\.example /);
  assert.deepEqual(hints('listener 8081\nprotocol websockets\ncertfile s.pem\nkeyfile s.key\ncafile ca.pem\npassword_file p', 0, { address: '::', port: 8081 }, ['broker.example']),
    ['Try: an MQTT client over WebSocket (subprotocol mqtt) at wss://broker.example:8081, with a user name and password, trusting /etc/wrenmq/ca.pem; mosquitto_sub has no WebSocket']);
});

// ---- the gateway running ----------------------------------------------------------------------

/** Starts main.mjs with `args`; stopped (SIGTERM, then SIGKILL after 5 s) when the test ends. */
function gatewayStart(t, args) {
  const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (data) => { output += data; });
  child.stderr.on('data', (data) => { output += data; });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const stop = async (signal = 'SIGTERM') => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    const result = await Promise.race([exited, sleep(5000).then(() => null)]);
    if (result === null) child.kill('SIGKILL');
    return result ?? exited;
  };
  t.after(() => stop());
  return { child, output: () => output, exited, stop };
}

/** The text of `file`, or '' while it does not exist. */
const textOf = (file) => (existsSync(file) ? readFileSync(file, 'utf8') : '');

/** A raw MQTT 3.1.1 CONNECT with a user name and password and a 1-second keep alive, then silence. */
function silentClient(port, clientId, username, password) {
  const field = (text) => { const bytes = Buffer.from(text); return Buffer.concat([Buffer.from([bytes.length >> 8, bytes.length & 255]), bytes]); };
  const body = Buffer.concat([field('MQTT'), Buffer.from([4, 0xc2, 0, 1]), field(clientId), field(username), field(password)]);
  const socket = net.connect(port, '127.0.0.1', () => socket.write(Buffer.concat([Buffer.from([0x10, body.length]), body])));
  socket.on('error', () => {});
  return socket;
}

const hostEmits = typeof BrokerHost.prototype.on === 'function';
const hostReloads = typeof BrokerHost.prototype.securityReload === 'function';

test('the log of a running gateway: connects, disconnects, refused logins, dropped sockets and timeouts, worded as Mosquitto',
  { todo: !hostEmits && 'host events land with the hardening change' }, async (t) => {
    const dir = tempDir(t, 'wrenmq-gateway-log-');
    const port = await freePort();
    const log = join(dir, 'wrenmq.log');
    writeFileSync(join(dir, 'passwords'), `alice:${hashPassword('secret')}\n`);
    writeFileSync(join(dir, 'mosquitto.conf'), [`listener ${port} 127.0.0.1`, 'password_file passwords', `log_dest file ${log}`, 'log_type all', ''].join('\n'));
    const gateway = gatewayStart(t, ['--config', join(dir, 'mosquitto.conf')]);
    await until(() => textOf(log).includes(' running') || gateway.child.exitCode !== null, 15000, `the gateway to run:\n${gateway.output()}`);
    assert.match(textOf(log), new RegExp(`: Try: mosquitto_sub -h 127\\.0\\.0\\.1 -p ${port} -u <user> -P <password> -t '#' -v\\n`));
    const good = await run('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(port), '-i', 'good', '-u', 'alice', '-P', 'secret', '-t', 't', '-m', 'm']);
    assert.equal(good.code, 0, good.stderr);
    const bad = await run('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(port), '-i', 'bad', '-u', 'alice', '-P', 'wrong', '-t', 't', '-m', 'm']);
    // CONNACK 4, "bad user name or password" (Mosquitto 2.0.11 answers 5 and logs "not authorised" either way).
    assert.equal(bad.code, 4, 'refused: bad user name or password');
    const dropped = start('mosquitto_sub', ['-h', '127.0.0.1', '-p', String(port), '-i', 'dropped', '-u', 'alice', '-P', 'secret', '-t', 'x']);
    await until(() => textOf(log).includes(' as dropped '), 5000, 'the subscriber to connect');
    dropped.child.kill('SIGKILL');
    const sleepy = silentClient(port, 'sleepy', 'alice', 'secret');
    t.after(() => sleepy.destroy());
    await until(() => /Client dropped closed its connection\.\n/.test(textOf(log)) && /Client sleepy has exceeded/.test(textOf(log)), 8000, `the lines:\n${textOf(log)}`);
    const expected = [
      `New connection from 127\\.0\\.0\\.1:\\d+ on port ${port}\\.`,
      "New client connected from 127\\.0\\.0\\.1:\\d+ as good \\(p2, c1, k60, u'alice'\\)\\.",
      'Client good disconnected\\.',
      'Client bad disconnected, not authorised\\.',
      'Client dropped closed its connection\\.',
      "New client connected from 127\\.0\\.0\\.1:\\d+ as sleepy \\(p2, c1, k1, u'alice'\\)\\.",
      'Client sleepy has exceeded timeout, disconnecting\\.',
    ];
    for (const line of expected) assert.match(textOf(log), new RegExp(`^\\d+: ${line}$`, 'm'));
    assert.deepEqual(await gateway.stop(), { code: 0, signal: null });
    assert.match(textOf(log), /: SIGTERM, closing\.\n\d+: wrenmq version [\d.]+ terminating\n$/);
  });

test('SIGHUP reloads password_file (keeping the old table when the new one has an error) and reopens the log file',
  { todo: !(hostEmits && hostReloads) && 'BrokerHost.securityReload and host events land with the hardening change' }, async (t) => {
    const dir = tempDir(t, 'wrenmq-sighup-');
    const port = await freePort();
    const log = join(dir, 'wrenmq.log');
    const passwords = join(dir, 'passwords');
    writeFileSync(passwords, `alice:${hashPassword('secret')}\n`);
    writeFileSync(join(dir, 'mosquitto.conf'), [`listener ${port} 127.0.0.1`, `password_file ${passwords}`, `log_dest file ${log}`, ''].join('\n'));
    const gateway = gatewayStart(t, ['--config', join(dir, 'mosquitto.conf')]);
    await until(() => textOf(log).includes(' running') || gateway.child.exitCode !== null, 15000, `the gateway to run:\n${gateway.output()}`);
    const login = async (user, password) => (await run('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(port), '-i', `${user}-${password}`,
      '-u', user, '-P', password, '-t', 't', '-m', 'm'])).code;
    const reloads = () => textOf(log).split('Reloading config.').length - 1;
    assert.equal(await login('alice', 'secret'), 0);

    writeFileSync(passwords, `bob:${hashPassword('hunter2')}\n`);
    gateway.child.kill('SIGHUP');
    await until(() => reloads() === 1, 5000, 'the first reload');
    assert.deepEqual([await login('alice', 'secret'), await login('bob', 'hunter2')], [4, 0]);

    writeFileSync(passwords, `bob:${hashPassword('hunter2')}\ncarol\n`);
    gateway.child.kill('SIGHUP');
    await until(() => reloads() === 2 && textOf(log).includes('not reloaded'), 5000, 'the second reload');
    assert.match(textOf(log), new RegExp(`: Error: ${passwords}:2: no ':' between username and password hash \\(line 2\\)\\n`));
    assert.match(textOf(log), /: Error: password_file and acl_file not reloaded: the previous ones stay in force\.\n/);
    assert.equal(await login('bob', 'hunter2'), 0, 'the previous table is still in force');

    renameSync(log, `${log}.1`); // logrotate
    gateway.child.kill('SIGHUP');
    await until(() => textOf(`${log}.1`).split('Reloading config.').length === 4, 5000, 'the third reload, in the rotated file');
    assert.equal(await login('bob', 'hunter2'), 0);
    await until(() => textOf(log).includes('as bob-hunter2'), 5000, 'a line in the new log file');
    assert.deepEqual(await gateway.stop(), { code: 0, signal: null });
  });

test('the start-up hints work as printed: mosquitto_pub with a password, and over TLS with the CA file and the certificate name', async (t) => {
  if (spawnSync('sh', ['-c', 'command -v openssl'], { stdio: 'ignore' }).status !== 0) return t.skip('openssl is needed to make a certificate');
  const dir = tempDir(t, 'wrenmq-hints-');
  const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'server.key'), '-out', join(dir, 'server.pem'),
    '-days', '1', '-subj', '/CN=broker.invalid', '-addext', 'subjectAltName=DNS:broker.invalid,IP:127.0.0.1'], { encoding: 'utf8' });
  if (made.status !== 0) return t.skip(`openssl could not make a certificate: ${made.stderr}`);
  const [plain, secure] = [await freePort(), await freePort()];
  const log = join(dir, 'wrenmq.log');
  writeFileSync(join(dir, 'passwords'), `alice:${hashPassword('secret')}\n`);
  writeFileSync(join(dir, 'mosquitto.conf'), [`listener ${plain} 127.0.0.1`, `listener ${secure} 127.0.0.1`, 'certfile server.pem', 'keyfile server.key',
    'cafile server.pem', 'password_file passwords', `log_dest file ${log}`, ''].join('\n'));
  const gateway = gatewayStart(t, ['--config', join(dir, 'mosquitto.conf')]);
  await until(() => textOf(log).includes(' running') || gateway.child.exitCode !== null, 15000, `the gateway to run:\n${gateway.output()}`);
  const commands = [...textOf(log).matchAll(/: Try: (mosquitto_pub .*)$/gm)].map((match) => match[1]);
  assert.deepEqual(commands, [
    `mosquitto_pub -h 127.0.0.1 -p ${plain} -u <user> -P <password> -t hello -m world`,
    `mosquitto_pub -h 127.0.0.1 -p ${secure} --cafile ${join(dir, 'server.pem')} -u <user> -P <password> -t hello -m world`,
  ]);
  for (const command of commands) {
    const [program, ...args] = command.replace('<user>', 'alice').replace('<password>', 'secret').split(' ');
    const result = await run(program, args);
    assert.equal(result.code, 0, `${command}: ${result.stderr}`);
  }
  return undefined;
});

test('max_sessions_per_user: unset with a password_file, one user holds at most half the session table; 0 lifts the cap', async (t) => {
  const dir = tempDir(t, 'wrenmq-per-user-');
  const sim = JSON.parse(readFileSync(join(REPO, 'boards/sim.json'), 'utf8'));
  writeFileSync(join(dir, 'board.json'), JSON.stringify({ ...sim, limits: { ...sim.limits, sessionCountMax: 4 } }));
  writeFileSync(join(dir, 'passwords'), `alice:${hashPassword('secret')}\n`);
  for (const [extra, accepted] of [[[], 2], [['max_sessions_per_user 0'], 3]]) {
    const port = await freePort();
    const log = join(dir, `${accepted}.log`);
    writeFileSync(join(dir, 'mosquitto.conf'), [`listener ${port} 127.0.0.1`, 'password_file passwords', `log_dest file ${log}`, ...extra, ''].join('\n'));
    const gateway = gatewayStart(t, ['--config', join(dir, 'mosquitto.conf'), '--board', join(dir, 'board.json')]);
    await until(() => textOf(log).includes(' running') || gateway.child.exitCode !== null, 15000, `the gateway to run:\n${gateway.output()}`);
    const codes = [];
    for (const id of ['s1', 's2', 's3']) {
      codes.push((await run('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(port), '-u', 'alice', '-P', 'secret', '-i', id, '-c', '-q', '1', '-t', 't', '-m', 'm'])).code);
    }
    assert.deepEqual(codes.map((code) => code === 0), [true, true, accepted === 3], `${extra.join(' ') || 'unset'}: ${codes}`);
    if (accepted === 2 && hostEmits) assert.match(textOf(log), /: Client s3 disconnected, quota exceeded \(reason code 0x97\)\.\n/);
    assert.deepEqual(await gateway.stop(), { code: 0, signal: null });
  }
});

test('user: as root, the gateway switches to that user once the configuration is read; an unknown user stops it', async (t) => {
  if (process.getuid?.() !== 0) return t.skip('needs root: only root can switch users');
  const nobody = spawnSync('id', ['-u', 'nobody'], { encoding: 'utf8' });
  if (nobody.status !== 0) return t.skip('no user nobody here');
  const dir = tempDir(t, 'wrenmq-user-');
  chmodSync(dir, 0o755);
  const port = await freePort();
  writeFileSync(join(dir, 'mosquitto.conf'), `listener ${port} 127.0.0.1\nallow_anonymous true\nuser nobody\n`);
  const gateway = gatewayStart(t, ['--config', join(dir, 'mosquitto.conf')]);
  await until(() => gateway.output().includes(' running') || gateway.child.exitCode !== null, 15000, `the gateway to run:\n${gateway.output()}`);
  const uids = /^Uid:\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)$/m.exec(readFileSync(`/proc/${gateway.child.pid}/status`, 'utf8'));
  assert.deepEqual(uids.slice(1).map(Number), Array(4).fill(Number(nobody.stdout.trim())));
  assert.ok(!gateway.output().includes('should not be run as root'), gateway.output());
  const pub = await run('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(port), '-t', 't', '-m', 'm']);
  assert.equal(pub.code, 0, pub.stderr);
  assert.deepEqual(await gateway.stop(), { code: 0, signal: null });

  writeFileSync(join(dir, 'mosquitto.conf'), `listener ${port} 127.0.0.1\nuser no-such-user-here\n`);
  const unknown = mainRun(['--config', join(dir, 'mosquitto.conf')]);
  assert.deepEqual([unknown.status, unknown.stderr], [1, "wrenmq: Unable to drop privileges to 'no-such-user-here' because this user does not exist.\n"]);
  return undefined;
});

// ---- Debian's stock mosquitto.conf ------------------------------------------------------------

test("Debian's stock /etc/mosquitto/mosquitto.conf parses as is", (t) => {
  if (!existsSync(STOCK_CONF)) return t.skip(`${STOCK_CONF} is not installed (Debian's mosquitto package has it)`);
  const { config, errors, warnings } = parseConfig(readFileSync(STOCK_CONF, 'utf8'), { file: STOCK_CONF });
  assert.deepEqual(errors, []);
  assert.deepEqual(warnings, []);
  assert.ok(config.pidFile && config.persistence && config.logDest.some((dest) => dest.kind === 'file'), JSON.stringify(config));
  return undefined;
});

/**
 * Debian's stock mosquitto.conf copied to `dir`/mosquitto.conf with only its four paths moved into
 * `dir` (and an empty `dir`/conf.d); returns the new paths by option.
 */
function stockCopy(dir) {
  mkdirSync(join(dir, 'conf.d'));
  const moved = { pid_file: join(dir, 'mosquitto.pid'), persistence_location: `${dir}/`, 'log_dest file': join(dir, 'mosquitto.log'), include_dir: join(dir, 'conf.d') };
  const stock = readFileSync(STOCK_CONF, 'utf8').split('\n');
  const copy = stock.map((line) => {
    const option = Object.keys(moved).find((name) => line.startsWith(`${name} `));
    return option ? `${option} ${moved[option]}` : line;
  });
  assert.equal(copy.filter((line, index) => line !== stock[index]).length, 4, 'the four paths were found and moved');
  writeFileSync(join(dir, 'mosquitto.conf'), copy.join('\n'));
  return moved;
}

test("Debian's stock mosquitto.conf, its paths moved to a temp dir and a listener in its conf.d: pid file, log file, persistence, clean stop", async (t) => {
  if (!existsSync(STOCK_CONF)) return t.skip(`${STOCK_CONF} is not installed (Debian's mosquitto package has it)`);
  const dir = tempDir(t, 'wrenmq-stock-');
  const port = await freePort();
  const moved = stockCopy(dir);
  writeFileSync(join(dir, 'conf.d', 'local.conf'), `listener ${port} 127.0.0.1\nallow_anonymous true\n`);
  const gateway = gatewayStart(t, ['--config', join(dir, 'mosquitto.conf')]);
  const log = moved['log_dest file'];
  await until(() => textOf(log).includes(' running') || gateway.child.exitCode !== null, 15000, `the gateway to run:\n${gateway.output()}${textOf(log)}`);
  assert.equal(gateway.output(), '', 'log_dest file only: nothing on stdout or stderr');
  assert.equal(textOf(moved.pid_file).trim(), String(gateway.child.pid));
  assert.ok(existsSync(join(dir, 'wrenmq.flash')), 'persistence true: the flash file is in persistence_location');
  assert.match(textOf(log), new RegExp(`: Loading config file ${join(dir, 'conf.d', 'local.conf')}\\n`));
  assert.match(textOf(log), new RegExp(`: wrenmq gateway \\(board sim\\): MQTT on 127\\.0\\.0\\.1:${port}\\n`));
  const pub = await run('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(port), '-i', 'stock', '-t', 't', '-m', 'm', '-q', '1']);
  assert.equal(pub.code, 0, pub.stderr);
  if (hostEmits) await until(() => textOf(log).includes('Client stock disconnected.'), 5000, 'the disconnect line');
  assert.deepEqual(await gateway.stop(), { code: 0, signal: null });
  assert.equal(existsSync(moved.pid_file), false, 'the pid file is removed at exit');
  assert.match(textOf(log), /: wrenmq version [\d.]+ terminating\n$/);
  return undefined;
});

// ---- systemd ----------------------------------------------------------------------------------

const UNIT = join(REPO, 'tools/gateway/wrenmq.service');

/** The unit's `Key=value` lines of section [Service], as a Map of arrays. */
function unitService(text) {
  const keys = new Map();
  let section = '';
  for (const line of text.split('\n')) {
    if (/^\[.*\]$/.test(line)) section = line;
    const match = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (section === '[Service]' && match) keys.set(match[1], [...(keys.get(match[1]) ?? []), match[2]]);
  }
  return keys;
}

test('wrenmq.service: a simple service as user wrenmq, reloaded by SIGHUP, with hardening; systemd-analyze verify finds nothing', (t) => {
  const text = readFileSync(UNIT, 'utf8');
  const service = unitService(text);
  const expected = { Type: 'simple', User: 'wrenmq', ExecReload: '/bin/kill -HUP $MAINPID', Restart: 'on-failure', StateDirectory: 'wrenmq',
    NoNewPrivileges: 'yes', ProtectSystem: 'strict', ReadWritePaths: '/var/lib/wrenmq', PrivateTmp: 'yes' };
  for (const [key, value] of Object.entries(expected)) assert.deepEqual(service.get(key), [value], key);
  assert.match(service.get('ExecStart')[0], /^\/usr\/bin\/node \/opt\/wrenmq\/tools\/gateway\/main\.mjs --config \/etc\/wrenmq\/mosquitto\.conf --board \S+$/);
  if (spawnSync('sh', ['-c', 'command -v systemd-analyze'], { stdio: 'ignore' }).status !== 0) return t.skip('systemd-analyze is not installed');
  // A copy whose node and repository paths exist here, so that verify can check ExecStart.
  const dir = tempDir(t, 'wrenmq-unit-');
  writeFileSync(join(dir, 'wrenmq.service'), text.replaceAll('/usr/bin/node', process.execPath).replaceAll('/opt/wrenmq', REPO.replace(/\/$/, '')));
  const verify = spawnSync('systemd-analyze', ['verify', join(dir, 'wrenmq.service')], { encoding: 'utf8', timeout: 20000 });
  assert.deepEqual([verify.status, verify.stderr], [0, ''], verify.stderr);
  return undefined;
});

test("wrenmq.service's ExecStart flags are accepted by main.mjs: --check passes with them (on Debian's stock configuration)", (t) => {
  const execStart = unitService(readFileSync(UNIT, 'utf8')).get('ExecStart')[0].split(' ');
  assert.equal(execStart[1], '/opt/wrenmq/tools/gateway/main.mjs');
  const dir = tempDir(t, 'wrenmq-unit-check-');
  if (existsSync(STOCK_CONF)) stockCopy(dir);
  else writeFileSync(join(dir, 'mosquitto.conf'), '');
  // The unit's own flags, with its paths mapped to this repository and the temp configuration.
  const args = execStart.slice(2).map((word) => (word === '/etc/wrenmq/mosquitto.conf' ? join(dir, 'mosquitto.conf') : word.replace('/opt/wrenmq/', REPO)));
  const { status, stdout, stderr } = mainRun([...args, '--check']);
  assert.equal(status, 0, stderr);
  assert.match(stdout, /: OK\n$/);
});
