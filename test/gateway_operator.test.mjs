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
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brokerEventLine, brokerEventsLog, Logger, timestampFormat } from '../tools/gateway/log.mjs';
import { parseConfig } from '../tools/gateway/config.mjs';
import { IGNORED, OPTIONS, OPTIONS_TABLE_MARKER, optionsTableMarkdown, REFUSED, SUPPORTED } from '../tools/gateway/options.mjs';
import { sleep, until } from './support/brokers.mjs';

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
const MAN_PAGE = '/usr/share/man/man5/mosquitto.conf.5.gz';
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
