#!/usr/bin/env node
/**
 * Golden-vector capture: records real MQTT traffic between real tools and writes
 * test/vectors/<family>.json (format: test/vectors/README.md).
 *
 *   node tools/vectors/capture.mjs             capture, write the valid vectors, then append the
 *                                              malformed ones (tools/vectors/malformed.mjs)
 *   node tools/vectors/capture.mjs --verbose   also print every captured packet
 *   node tools/vectors/capture.mjs --only=NAME run only scenarios whose name contains NAME and
 *                                              print what they capture; writes nothing
 *
 * Needs: Debian's mosquitto 2.0.11 + mosquitto-clients (mosquitto, mosquitto_pub, mosquitto_sub,
 * mosquitto_passwd), gcc (for tools/vectors/wren_test_plugin.c), node >= 20 and the
 * devDependencies mqtt (MQTT.js) and mqtt-packet.
 *
 * How it works:
 *  - starts three mosquitto brokers, each from a config written to a temporary directory and
 *    each listening on 127.0.0.1 on a free port: `main` (anonymous, with the test plugin for
 *    enhanced authentication and topic ACLs), `auth` (password file) and `limits` (max_qos 1,
 *    retain_available false, max_packet_size, message_size_limit, …);
 *  - every client (a mosquitto_pub/mosquitto_sub process, an MQTT.js client, or a raw socket)
 *    gets its own recording TCP proxy on 127.0.0.1 and a free port, so each recorded
 *    connection belongs to exactly one command line;
 *  - each direction's byte stream is split into packets by the fixed header; each packet is
 *    parsed by mqtt-packet (protocolVersion = the level of the connection's CONNECT) and turned
 *    into `fields` by test/support/mqtt_packet_fields.mjs — fields are never written by hand;
 *  - vectors are deduplicated on (version, hex): the first capture (scenarios run in a fixed
 *    order) keeps its name and provenance. Names are derived from the fields; when two
 *    different packets would get the same name, each gets a suffix from a hash of its bytes.
 *
 * Determinism: every client id is given explicitly, MQTT.js uses a counting message-id
 * provider, and the only random bytes on the wire — mosquitto's assigned client identifier
 * `auto-XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX` — are rewritten to a fixed value of the same
 * length (the provenance says so). Every wait has a timeout; brokers, proxies and children are
 * stopped on exit, and the temporary directory is removed.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import mqtt from 'mqtt';
import mqttPacket from 'mqtt-packet';
import {
  PACKET_TYPES, fieldsFromMqttPacket, parseWithMqttPacket,
} from '../../test/support/mqtt_packet_fields.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');
const VECTOR_DIR = path.join(ROOT, 'test/vectors');
const require = createRequire(import.meta.url);
const MQTTJS_VERSION = require('mqtt/package.json').version;

const ARGS = process.argv.slice(2);
const VERBOSE = ARGS.includes('--verbose');
const ONLY = ARGS.find((a) => a.startsWith('--only='))?.slice('--only='.length);

const TOOL_TIMEOUT_MS = 15000; // one mosquitto_pub/mosquitto_sub run
const WAIT_TIMEOUT_MS = 8000; // waiting for a packet to pass a proxy
const SCENARIO_TIMEOUT_MS = 40000;
const TOTAL_TIMEOUT_MS = 10 * 60 * 1000;

export const FAMILIES = {
  connect: 'connect', connack: 'connack', publish: 'publish',
  puback: 'ack', pubrec: 'ack', pubrel: 'ack', pubcomp: 'ack',
  subscribe: 'subscribe', suback: 'suback', unsubscribe: 'unsubscribe', unsuback: 'unsuback',
  pingreq: 'ping', pingresp: 'ping', disconnect: 'disconnect', auth: 'auth',
};
export const FAMILY_NAMES = [...new Set(Object.values(FAMILIES))];

// ---------------------------------------------------------------------------------------------
// small utilities

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`timeout after ${ms} ms: ${what}`)), ms); }),
  ]).finally(() => clearTimeout(timer));
}

async function freePort() {
  const server = net.createServer();
  await new Promise((resolve, reject) => server.listen(0, '127.0.0.1', resolve).on('error', reject));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function waitForPort(port, ms) {
  const deadline = Date.now() + ms;
  for (;;) {
    const ok = await new Promise((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => { socket.destroy(); resolve(true); });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`port ${port} did not open within ${ms} ms`);
    await sleep(50);
  }
}

/** Split a byte stream into whole MQTT packets by the fixed header. */
export function framePackets(buffer) {
  const packets = [];
  let pos = 0;
  while (pos + 2 <= buffer.length) {
    let value = 0;
    let multiplier = 1;
    let used = 0;
    let done = false;
    while (used < 4 && pos + 1 + used < buffer.length) {
      const byte = buffer[pos + 1 + used];
      used += 1;
      value += (byte & 0x7f) * multiplier;
      multiplier *= 128;
      if ((byte & 0x80) === 0) { done = true; break; }
    }
    if (!done) {
      if (used === 4) throw new Error('remaining length longer than 4 bytes in a captured stream');
      break;
    }
    const total = 1 + used + value;
    if (pos + total > buffer.length) break;
    packets.push(buffer.subarray(pos, pos + total));
    pos += total;
  }
  return { packets, rest: buffer.length - pos };
}

/** Quote a word for a POSIX shell, only when needed. */
function shellQuote(word) {
  if (word === '') return "''";
  if (/^[A-Za-z0-9_\-./:=,@%+]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

// ---------------------------------------------------------------------------------------------
// children, brokers, proxies — all tracked so that they can be stopped on any exit

const children = new Set();
const proxies = new Set();
const mqttClients = new Set();

function killChild(child, signal = 'SIGTERM') {
  if (child.exitCode === null && child.signalCode === null) {
    try { child.kill(signal); } catch { /* already gone */ }
  }
}

class Broker {
  constructor(name, configLines) {
    this.name = name;
    this.configLines = configLines;
    this.port = 0;
    this.child = null;
    this.log = '';
  }

  async start(dir) {
    this.port = await freePort();
    const config = [`listener ${this.port} 127.0.0.1`, ...this.configLines,
      'persistence false', 'log_dest stderr', 'log_type error', 'log_type warning',
      'log_type notice', 'log_type information'];
    const file = path.join(dir, `${this.name}.conf`);
    fs.writeFileSync(file, `${config.join('\n')}\n`, { mode: 0o644 });
    this.child = spawn('mosquitto', ['-c', file], { stdio: ['ignore', 'ignore', 'pipe'] });
    children.add(this.child);
    this.child.stderr.on('data', (d) => { this.log += d; });
    this.exited = new Promise((resolve) => this.child.once('exit', resolve));
    await withTimeout(Promise.race([
      waitForPort(this.port, 5000),
      this.exited.then(() => { throw new Error(`mosquitto ${this.name} exited:\n${this.log}`); }),
    ]), 6000, `mosquitto ${this.name} start`);
  }

  async stop() {
    if (!this.child) return;
    killChild(this.child, 'SIGTERM');
    try {
      await withTimeout(this.exited, 3000, `mosquitto ${this.name} stop`);
    } catch {
      killChild(this.child, 'SIGKILL');
      await withTimeout(this.exited, 2000, `mosquitto ${this.name} kill`).catch(() => {});
    }
    children.delete(this.child);
  }
}

/**
 * A recording TCP proxy in front of one broker, for one client. Emits 'packet'
 * ({ connection, direction, bytes, type }) as whole packets pass, in either direction.
 */
class RecordingProxy extends EventEmitter {
  constructor(broker) {
    super();
    this.setMaxListeners(100);
    this.broker = broker;
    this.connections = [];
    this.sockets = new Set();
    this.server = net.createServer({ allowHalfOpen: true }, (client) => this.accept(client));
    proxies.add(this);
  }

  async listen() {
    await new Promise((resolve, reject) => this.server.listen(0, '127.0.0.1', resolve).on('error', reject));
    this.port = this.server.address().port;
    return this.port;
  }

  accept(client) {
    const connection = {
      index: this.connections.length,
      bytes: { c2b: Buffer.alloc(0), b2c: Buffer.alloc(0) },
      framed: { c2b: 0, b2c: 0 },
      packets: { c2b: [], b2c: [] },
      closed: null,
    };
    this.connections.push(connection);
    const upstream = net.connect({ port: this.broker.port, host: '127.0.0.1', allowHalfOpen: true });
    this.sockets.add(client);
    this.sockets.add(upstream);
    let open = 2;
    connection.closed = new Promise((resolve) => {
      const gone = () => { open -= 1; if (open === 0) resolve(); };
      client.once('close', gone);
      upstream.once('close', gone);
    });
    client.on('data', (data) => { this.record(connection, 'c2b', data); upstream.write(data); });
    upstream.on('data', (data) => { this.record(connection, 'b2c', data); client.write(data); });
    client.on('end', () => upstream.end());
    upstream.on('end', () => client.end());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.on('error', () => {});
    upstream.on('error', () => {});
  }

  record(connection, direction, data) {
    connection.bytes[direction] = Buffer.concat([connection.bytes[direction], data]);
    const unframed = connection.bytes[direction].subarray(connection.framed[direction]);
    const { packets } = framePackets(unframed);
    for (const bytes of packets) {
      connection.framed[direction] += bytes.length;
      const packet = { connection: connection.index, direction, bytes, type: PACKET_TYPES[bytes[0] >> 4] };
      connection.packets[direction].push(packet);
      this.emit('packet', packet);
    }
  }

  /** Resolve with the first packet (already seen or still to come) that `predicate` accepts. */
  waitFor(predicate, what, ms = WAIT_TIMEOUT_MS) {
    for (const connection of this.connections) {
      for (const direction of ['c2b', 'b2c']) {
        const found = connection.packets[direction].find(predicate);
        if (found) return Promise.resolve(found);
      }
    }
    let listener;
    return withTimeout(new Promise((resolve) => {
      listener = (packet) => { if (predicate(packet)) resolve(packet); };
      this.on('packet', listener);
    }), ms, what).finally(() => this.off('packet', listener));
  }

  async settle(ms = 3000) {
    await withTimeout(Promise.all(this.connections.map((c) => c.closed)), ms, 'proxy connections to close')
      .catch(() => {});
  }

  async close() {
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => this.server.close(resolve));
    proxies.delete(this);
  }
}

// ---------------------------------------------------------------------------------------------
// clients: mosquitto_pub/mosquitto_sub, MQTT.js, raw sockets

/**
 * Split a command written as in a shell (single quotes only) into words. A word of the form
 * @FILL(c,n)@ stands for n copies of the character c and is shown as a shell expression.
 */
function parseCommand(text) {
  const words = [];
  const re = /'([^']*)'|(\S+)/g;
  let match;
  while ((match = re.exec(text)) !== null) {
    const raw = match[0];
    const value = match[1] !== undefined ? match[1] : match[2];
    const fill = /^@FILL\((.),(\d+)\)@$/.exec(value);
    if (fill) {
      words.push({ value: fill[1].repeat(Number(fill[2])), display: `"$(printf '%*s' ${fill[2]} '' | tr ' ' ${fill[1]})"` });
    } else {
      words.push({ value, display: match[1] !== undefined ? shellQuote(value) : raw });
    }
  }
  return words;
}

class Scenario {
  constructor(name, broker) {
    this.name = name;
    this.broker = broker;
    this.records = []; // { provenance, proxy, version?, directions }
    this.pending = [];
  }

  async proxy() {
    const proxy = new RecordingProxy(this.broker);
    await proxy.listen();
    return proxy;
  }

  /**
   * Start a mosquitto_pub / mosquitto_sub command. `-h 127.0.0.1 -p PORT` is inserted after the
   * program name (after `-V x` when that comes first). Returns { proxy, exit } at once.
   */
  async tool(command, { timeout = TOOL_TIMEOUT_MS } = {}) {
    const words = parseCommand(command);
    const at = words.length > 2 && words[1].value === '-V' ? 3 : 1;
    const proxy = await this.proxy();
    words.splice(at, 0, { value: '-h', display: '-h' }, { value: '127.0.0.1', display: '127.0.0.1' },
      { value: '-p', display: '-p' }, { value: String(proxy.port), display: 'PORT' });
    const provenance = words.map((w) => w.display).join(' ');
    const child = spawn(words[0].value, words.slice(1).map((w) => w.value), { stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    let output = '';
    child.stdout.on('data', (d) => { output += d; });
    child.stderr.on('data', (d) => { output += d; });
    const timer = setTimeout(() => {
      console.warn(`  ! ${this.name}: killing after ${timeout} ms: ${provenance}`);
      killChild(child, 'SIGKILL');
    }, timeout);
    const exit = new Promise((resolve) => child.once('exit', (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      resolve({ code, signal, output });
    }));
    this.records.push({ provenance, proxy });
    this.pending.push(exit);
    if (VERBOSE) exit.then((r) => console.log(`    [exit ${r.code ?? r.signal}] ${provenance}\n${r.output.replace(/^/gm, '      | ')}`));
    return { proxy, exit, child, provenance };
  }

  /** Run a command to its end. */
  async run(command, options) {
    const handle = await this.tool(command, options);
    return handle.exit;
  }

  /**
   * Run an MQTT.js script: the body of an async function that can call
   *   connect(options[, setup])   mqtt.connect('mqtt://127.0.0.1:PORT', options) through a new
   *                               proxy; resolves with the client once CONNACK has arrived
   *                               (rejects if the broker refused); setup(client) runs first
   *   seen(client, direction, type[, test])  wait until such a packet passed its proxy
   *   closed(client)              wait until its connections have closed
   *   sleep(ms), Buffer
   * Every client gets reconnectPeriod: 0 and a counting messageIdProvider starting at 1 unless
   * the options say otherwise. The script text, on one line, is the provenance.
   */
  async js(script) {
    const text = script.trim().replace(/\s*\n\s*/g, ' ');
    const connectCalls = [];
    const connect = async (options, setup) => {
      const proxy = await this.proxy();
      const callIndex = connectCalls.length + 1;
      connectCalls.push(proxy);
      this.records.push({ provenance: `MQTT.js ${MQTTJS_VERSION}: ${text}`, proxy, clientLabel: `connect() call ${callIndex}` });
      const client = mqtt.connect(`mqtt://127.0.0.1:${proxy.port}`, {
        reconnectPeriod: 0,
        connectTimeout: 5000,
        messageIdProvider: new CountingMessageIds(1),
        ...options,
      });
      client.__proxy = proxy;
      mqttClients.add(client);
      client.on('error', () => {});
      if (setup) setup(client);
      await withTimeout(new Promise((resolve, reject) => {
        client.once('connect', resolve);
        client.once('error', reject);
        client.once('close', () => reject(new Error('closed before CONNACK')));
      }), WAIT_TIMEOUT_MS, `MQTT.js connect in ${this.name}`);
      return client;
    };
    const seen = (client, direction, type, test = () => true) => client.__proxy.waitFor(
      (p) => p.direction === direction && p.type === type && test(p), `${direction} ${type} in ${this.name}`);
    const closed = (client) => withTimeout(
      Promise.all(client.__proxy.connections.map((c) => c.closed)), WAIT_TIMEOUT_MS, `close in ${this.name}`);
    const AsyncFunction = (async () => {}).constructor;
    const body = new AsyncFunction('connect', 'seen', 'closed', 'sleep', 'Buffer', script);
    await body(connect, seen, closed, sleep, Buffer);
  }

  /**
   * Send raw `bytes` (described by `description`, decoded as `version`) through a proxy and record only
   * the broker's answer: the bytes we send ourselves are no capture of a real tool.
   */
  async raw(bytes, description, version) {
    const proxy = await this.proxy();
    this.records.push({ provenance: description, proxy, version, directions: ['b2c'] });
    const socket = net.connect(proxy.port, '127.0.0.1');
    socket.on('error', () => {});
    socket.on('data', () => {});
    await withTimeout(new Promise((resolve) => socket.once('connect', resolve)), 3000, 'raw connect');
    socket.write(bytes);
    await withTimeout(new Promise((resolve) => socket.once('close', resolve)), 5000, 'raw close').catch(() => {});
    socket.destroy();
  }

  async finish() {
    await withTimeout(Promise.all(this.pending), TOOL_TIMEOUT_MS + 5000, `${this.name} commands`).catch((e) => console.warn(`  ! ${e.message}`));
    for (const client of mqttClients) {
      await withTimeout(new Promise((resolve) => client.end(true, {}, resolve)), 2000, 'MQTT.js end').catch(() => {});
      mqttClients.delete(client);
    }
    for (const record of this.records) await record.proxy.settle();
    for (const record of this.records) await record.proxy.close();
  }
}

/** MQTT.js message-id provider that counts up from `start` (the default one starts at random). */
class CountingMessageIds {
  constructor(start) { this.next = start; this.last = undefined; }
  allocate() { this.last = this.next; this.next = this.next === 65535 ? 1 : this.next + 1; return this.last; }
  getLastAllocated() { return this.last; }
  register() { return true; }
  deallocate() {}
  clear() {}
}

// ---------------------------------------------------------------------------------------------
// brokers and scenarios

const PASSWORD_USER = 'alice';
const PASSWORD = 'secret';

function makeBrokers(dir) {
  const plugin = path.join(dir, 'wren_test_plugin.so');
  const passwords = path.join(dir, 'passwords');
  return {
    // The test plugin denies everything under secret/ (publish, subscribe, unsubscribe) and
    // implements enhanced authentication (tools/vectors/wren_test_plugin.c).
    main: new Broker('main', ['allow_anonymous true', `plugin ${plugin}`]),
    auth: new Broker('auth', ['allow_anonymous false', `password_file ${passwords}`]),
    limits: new Broker('limits', [
      'max_qos 1', 'max_topic_alias 2', 'allow_anonymous true', 'allow_zero_length_clientid false',
      'max_keepalive 30', 'max_packet_size 500', 'message_size_limit 100', 'retain_available false',
      'max_inflight_messages 4',
    ]),
  };
}

function prepareDirectory(dir) {
  fs.chmodSync(dir, 0o755); // mosquitto may drop privileges to its own user when run as root
  const compiled = spawnSync('gcc', ['-shared', '-fPIC', '-O1', '-o', path.join(dir, 'wren_test_plugin.so'),
    path.join(HERE, 'wren_test_plugin.c')], { encoding: 'utf8' });
  if (compiled.status !== 0) throw new Error(`cannot build the mosquitto test plugin (gcc):\n${compiled.stderr}`);
  fs.chmodSync(path.join(dir, 'wren_test_plugin.so'), 0o755);
  const passwords = path.join(dir, 'passwords');
  const made = spawnSync('mosquitto_passwd', ['-b', '-c', passwords, PASSWORD_USER, PASSWORD], { encoding: 'utf8' });
  if (made.status !== 0) throw new Error(`mosquitto_passwd failed: ${made.stderr}`);
  fs.chmodSync(passwords, 0o644);
}

const VERSIONS = [
  { flag: 'mqttv31', level: 3, js: "protocolId: 'MQIsdp', protocolVersion: 3" },
  { flag: 'mqttv311', level: 4, js: 'protocolVersion: 4' },
  { flag: 'mqttv5', level: 5, js: 'protocolVersion: 5' },
];

/** The scenarios, in the order they run (which decides who keeps a duplicate's name). */
function scenarios() {
  const list = [];
  const add = (name, broker, run) => list.push({ name, broker, run });

  for (const { flag, level } of VERSIONS) {
    const v = `v${level}`;
    add(`publish-qos-${v}`, 'main', async (s) => {
      for (const q of [0, 1, 2]) await s.run(`mosquitto_pub -V ${flag} -i wren-pub-q${q}-${v} -t wren/pub/q${q} -q ${q} -m OK`);
      await s.run(`mosquitto_pub -V ${flag} -i wren-pub-retain-${v} -t wren/retained/${v} -q 1 -m OK -r -d`);
    });
    add(`retained-delivery-${v}`, 'main', async (s) => {
      await s.run(`mosquitto_sub -V ${flag} -i wren-sub-retained-${v} -t wren/retained/${v} -q 1 -C 1 -W 5`);
      await s.run(`mosquitto_pub -V ${flag} -i wren-clear-retained-${v} -t wren/retained/${v} -q 1 -r -n`);
    });
    add(`qos-both-directions-${v}`, 'main', async (s) => {
      const sub = await s.tool(`mosquitto_sub -V ${flag} -i wren-sub-q2-${v} -t 'wren/q2/${v}/#' -q 2 -C 3 -W 8`);
      await sub.proxy.waitFor((p) => p.type === 'suback', 'suback');
      await s.run(`mosquitto_pub -V ${flag} -i wren-pub-q2-${v} -t wren/q2/${v}/a -q 2 -m two`);
      await s.run(`mosquitto_pub -V ${flag} -i wren-pub-q1-${v} -t wren/q2/${v}/b -q 1 -m one`);
      await s.run(`mosquitto_pub -V ${flag} -i wren-pub-q0-${v} -t wren/q2/${v}/c -q 0 -m zero`);
      await sub.exit;
    });
    add(`qos-downgrade-${v}`, 'main', async (s) => {
      const sub = await s.tool(`mosquitto_sub -V ${flag} -i wren-sub-q1-${v} -t wren/down/${v} -q 1 -C 1 -W 5`);
      await sub.proxy.waitFor((p) => p.type === 'suback', 'suback');
      await s.run(`mosquitto_pub -V ${flag} -i wren-pub-down-${v} -t wren/down/${v} -q 2 -m down`);
      await sub.exit;
    });
    add(`will-${v}`, 'main', async (s) => {
      await s.run(`mosquitto_sub -V ${flag} -i wren-will-${v} -k 30 --will-topic wren/will/${v} --will-payload gone --will-qos 1 --will-retain -t wren/none -E`);
      await s.run(`mosquitto_sub -V ${flag} -i wren-will-q2-${v} -k 5 --will-topic wren/will/${v} --will-qos 2 -t wren/none -E`);
      if (level === 5) {
        await s.run(`mosquitto_sub -V ${flag} -i wren-will-props-${v} --will-topic wren/will/${v} --will-payload gone -D will will-delay-interval 5 -D will content-type text/plain -D will message-expiry-interval 30 -D will payload-format-indicator 1 -D will response-topic r/t -D will correlation-data c1 -D will user-property wk wv -t wren/none -E`);
      }
    });
    add(`persistent-session-${v}`, 'main', async (s) => {
      const expiry = level === 5 ? ' -x 60' : '';
      await s.run(`mosquitto_sub -V ${flag} -c -i wren-persist-${v}${expiry} -t wren/persist/${v} -q 1 -E`);
      await s.run(`mosquitto_pub -V ${flag} -i wren-persist-pub-${v} -t wren/persist/${v} -q 1 -m queued`);
      await s.run(`mosquitto_sub -V ${flag} -c -i wren-persist-${v} -t wren/persist/${v} -q 1 -C 1 -W 5`);
    });
    add(`subscribe-filters-${v}`, 'main', async (s) => {
      const props = level === 5 ? ' -D subscribe user-property a b' : '';
      await s.run(`mosquitto_sub -V ${flag} -i wren-sub-multi-${v} -t 'wren/+/x' -t 'wren/#' -t secret/y -t 'wren/ünï/€' -q 1${props} -E`);
      await s.run(`mosquitto_sub -V ${flag} -i wren-sub-wild-${v} -t '#' -t '+' -t '+/+/#' -q 2 -E`);
      await s.run(`mosquitto_sub -V ${flag} -i wren-sub-share-${v} -t '$share/group/wren/shared' -E`);
    });
    add(`unsubscribe-${v}`, 'main', async (s) => {
      const props = level === 5 ? ' -D unsubscribe user-property a b' : '';
      await s.run(`mosquitto_sub -V ${flag} -i wren-unsub-${v} -t wren/u/a -U wren/u/a -U wren/u/none -U secret/u${props} -W 2`);
    });
    add(`boundaries-${v}`, 'main', async (s) => {
      // Remaining Length of a QoS 0 PUBLISH to topic "t": 2 + 1 (+ 1 property length in 5.0) + payload.
      const base = level === 5 ? 4 : 3;
      for (const rl of [127, 128, 16383, 16384]) {
        await s.run(`mosquitto_pub -V ${flag} -i wren-pub-len-${v} -t t -m @FILL(x,${rl - base})@`);
      }
      await s.run(`mosquitto_pub -V ${flag} -i wren-pub-empty-${v} -t wren/empty -q 1 -n`);
      await s.run(`mosquitto_pub -V ${flag} -i wren-pub-keepalive-${v} -k 65535 -t wren/k -q 0 -m k`);
    });
    add(`ping-${v}`, 'main', async (s) => {
      await s.run(`mosquitto_sub -V ${flag} -i wren-ping-${v} -k 5 -t wren/ping -W 7`, { timeout: 12000 });
    });
  }

  // MQTT.js clients, every version.
  for (const { level, js } of VERSIONS) {
    const v = `v${level}`;
    add(`mqttjs-basic-${v}`, 'main', async (s) => s.js(`
      const c = await connect({ ${js}, clientId: 'wren-js-${v}', keepalive: 1 });
      await seen(c, 'b2c', 'pingresp');
      await c.subscribeAsync({ 'wren/js/${v}/a': { qos: 0 }, 'wren/js/${v}/b/+': { qos: 1 }, 'wren/js/${v}/c/#': { qos: 2 }, 'secret/js': { qos: 1 } }).catch(() => null);
      await c.publishAsync('wren/js/${v}/b/1', 'one', { qos: 1 });
      await c.publishAsync('wren/js/${v}/c/2', 'two', { qos: 2 });
      await seen(c, 'c2b', 'pubcomp');
      await c.unsubscribeAsync(['wren/js/${v}/a', 'wren/js/${v}/none']);
      await c.endAsync();
    `));
    add(`mqttjs-will-delivered-${v}`, 'main', async (s) => {
      const watcher = await s.tool(`mosquitto_sub -V ${VERSIONS[level - 3].flag} -i wren-will-watch-${v} -t wren/lastwill/${v} -q 1 -C 1 -W 6`);
      await watcher.proxy.waitFor((p) => p.type === 'suback', 'suback');
      await s.js(level === 5 ? `
        const c = await connect({ ${js}, clientId: 'wren-js-will-${v}', will: { topic: 'wren/lastwill/${v}', payload: Buffer.from('bye'), qos: 1, retain: false, properties: { willDelayInterval: 0, contentType: 'text/plain', userProperties: { w: 'x' } } } });
        await c.endAsync(false, { reasonCode: 4, properties: { reasonString: 'with will', userProperties: { k: 'v' } } });
      ` : `
        const c = await connect({ ${js}, clientId: 'wren-js-will-${v}', will: { topic: 'wren/lastwill/${v}', payload: Buffer.from('bye'), qos: 1, retain: false } });
        c.stream.destroy();
      `);
      await watcher.exit;
    });
    add(`mqttjs-redelivery-dup-${v}`, 'main', async (s) => s.js(`
      const c1 = await connect({ ${js}, clientId: 'wren-js-dup-${v}', clean: false${level === 5 ? ', properties: { sessionExpiryInterval: 60 }' : ''} }, (c) => { c.handleMessage = () => {}; });
      await c1.subscribeAsync('wren/dup/${v}', { qos: 1 });
      c1.publish('wren/dup/${v}', 'again', { qos: 1 });
      await seen(c1, 'b2c', 'publish');
      c1.stream.destroy();
      await sleep(300);
      const c2 = await connect({ ${js}, clientId: 'wren-js-dup-${v}', clean: false${level === 5 ? ', properties: { sessionExpiryInterval: 0 }' : ''} });
      await seen(c2, 'c2b', 'puback');
      await c2.endAsync();
    `));
  }

  // MQTT 5 only: properties everywhere, reason codes, topic aliases, enhanced authentication.
  add('mosquitto-v5-properties', 'main', async (s) => {
    const sub = await s.tool('mosquitto_sub -V mqttv5 -i wren-sub-props -t wren/props -q 2 -C 1 -W 6 -D connect receive-maximum 10 -D connect maximum-packet-size 1000 -D connect topic-alias-maximum 5 -D connect user-property k v -D connect request-problem-information 0 -D connect request-response-information 1 -x 60');
    await sub.proxy.waitFor((p) => p.type === 'suback', 'suback');
    await s.run('mosquitto_pub -V mqttv5 -i wren-pub-props -t wren/props -q 1 -m hello -D publish user-property a b -D publish message-expiry-interval 30 -D publish content-type text/plain -D publish response-topic r/t -D publish correlation-data c1 -D publish payload-format-indicator 1 -D publish topic-alias 1 -D disconnect session-expiry-interval 0 -D disconnect user-property bye now');
    await sub.exit;
  });
  // mosquitto_pub refuses `-i ''`, so empty client ids come from MQTT.js (3.1 forbids them).
  add('mqttjs-empty-client-id', 'main', async (s) => s.js(`
    const a = await connect({ protocolVersion: 5, clientId: '', keepalive: 30 });
    await a.publishAsync('wren/anon', 'x', { qos: 1 });
    await a.endAsync();
    const b = await connect({ protocolVersion: 4, clientId: '', keepalive: 30 });
    await b.endAsync();
  `));
  add('mqttjs-v5-properties', 'main', async (s) => s.js(`
    const c = await connect({ protocolVersion: 5, clientId: 'wren-js-props', properties: { sessionExpiryInterval: 30, receiveMaximum: 20, maximumPacketSize: 65536, topicAliasMaximum: 4, requestResponseInformation: true, requestProblemInformation: false, userProperties: { app: 'wren', tag: ['a', 'b'] } } });
    await c.subscribeAsync({ 'wren/jsp/+': { qos: 1, nl: false, rap: true, rh: 1 }, 'wren/jsp/x': { qos: 2, nl: true, rap: false, rh: 2 }, 'secret/jsp': { qos: 0 } }, { properties: { subscriptionIdentifier: 7, userProperties: { s: 'i' } } }).catch(() => null);
    await c.subscribeAsync('wren/jsp/#', { qos: 0, properties: { subscriptionIdentifier: 268435455 } });
    await c.publishAsync('wren/jsp/y', Buffer.from('c0ffee', 'hex'), { qos: 1, properties: { payloadFormatIndicator: false, messageExpiryInterval: 3600, contentType: 'application/octet-stream', responseTopic: 'wren/reply', correlationData: Buffer.from('0102', 'hex'), userProperties: { a: 'b', c: ['d', 'e'] } } });
    await seen(c, 'b2c', 'publish', (p) => p.bytes.includes('c0ffee', 0, 'hex'));
    await c.publishAsync('wren/jsp/z', 'alias', { qos: 0, properties: { topicAlias: 1 } });
    await c.publishAsync('', 'by alias', { qos: 0, properties: { topicAlias: 1 } });
    await c.unsubscribeAsync(['wren/jsp/+', 'wren/jsp/none', 'secret/jsp'], { properties: { userProperties: { u: 'v' } } }).catch(() => null);
    await c.endAsync(false, { reasonCode: 0, properties: { sessionExpiryInterval: 0, reasonString: 'done', userProperties: { bye: 'now' } } });
  `));
  add('mqttjs-v5-reason-codes', 'main', async (s) => s.js(`
    const c = await connect({ protocolVersion: 5, clientId: 'wren-js-acks', customHandleAcks: (topic, message, packet, done) => done(packet.qos === 1 ? 0x80 : 0x83) });
    await c.subscribeAsync('wren/acks/+', { qos: 2 });
    await c.publishAsync('wren/acks/1', 'refuse', { qos: 1 });
    await seen(c, 'c2b', 'puback', (p) => p.bytes[1] > 2);
    await c.publishAsync('wren/acks/2', 'refuse', { qos: 2 });
    await seen(c, 'c2b', 'pubrec', (p) => p.bytes[4] === 0x83);
    await c.publishAsync('secret/denied', 'no', { qos: 1 }).catch(() => null);
    await c.publishAsync('secret/denied', 'no', { qos: 2 }).catch(() => null);
    c._sendPacket({ cmd: 'pubrel', messageId: 4242, reasonCode: 0x92, properties: { reasonString: 'unknown id' } });
    await seen(c, 'b2c', 'pubcomp', (p) => p.bytes[2] === 0x10 && p.bytes[3] === 0x92);
    await c.endAsync();
  `));
  add('mqttjs-v5-session-takeover', 'main', async (s) => s.js(`
    const first = await connect({ protocolVersion: 5, clientId: 'wren-js-takeover' });
    const second = await connect({ protocolVersion: 5, clientId: 'wren-js-takeover' });
    await sleep(300);
    await second.endAsync();
  `));
  add('mqttjs-v5-enhanced-auth', 'main', async (s) => s.js(`
    const answer = (c) => { c.handleAuth = (packet, cb) => cb(null, { cmd: 'auth', reasonCode: 0x18, properties: { authenticationMethod: 'WREN-CHALLENGE', authenticationData: Buffer.from('response') } }); };
    const c = await connect({ protocolVersion: 5, clientId: 'wren-js-auth', properties: { authenticationMethod: 'WREN-CHALLENGE', authenticationData: Buffer.from('hello') } }, answer);
    c._sendPacket({ cmd: 'auth', reasonCode: 0x19, properties: { authenticationMethod: 'WREN-CHALLENGE', authenticationData: Buffer.from('hello'), reasonString: 're-authenticate' } });
    await seen(c, 'b2c', 'auth', (p) => p.bytes[2] === 0x00);
    await c.endAsync();
    const plain = await connect({ protocolVersion: 5, clientId: 'wren-js-auth-plain', properties: { authenticationMethod: 'WREN-PLAIN' } });
    await plain.endAsync();
    await connect({ protocolVersion: 5, clientId: 'wren-js-auth-deny', properties: { authenticationMethod: 'WREN-DENY', authenticationData: Buffer.from('x') } }).catch(() => null);
    await connect({ protocolVersion: 5, clientId: 'wren-js-auth-unknown', properties: { authenticationMethod: 'SCRAM-SHA-1' } }).catch(() => null);
    await connect({ protocolVersion: 5, clientId: 'wren-js-auth-bad', properties: { authenticationMethod: 'WREN-CHALLENGE', authenticationData: Buffer.from('nonsense') } }).catch(() => null);
    const early = await connect({ protocolVersion: 5, clientId: 'wren-js-auth-early', properties: { authenticationMethod: 'WREN-PLAIN' }, authPacket: { reasonCode: 0x18, properties: { authenticationMethod: 'WREN-PLAIN', reasonString: 'too early', userProperties: { a: 'b' } } } }).catch(() => null);
    await sleep(500);
  `));
  add('mqttjs-v5-auth-without-method', 'main', async (s) => s.js(`
    const c = await connect({ protocolVersion: 5, clientId: 'wren-js-auth-none' });
    c._sendPacket({ cmd: 'auth', reasonCode: 0x19, properties: { authenticationMethod: 'WREN-PLAIN' } });
    await closed(c);
  `));

  // Credentials.
  for (const { flag, level } of VERSIONS) {
    const v = `v${level}`;
    add(`credentials-${v}`, 'auth', async (s) => {
      await s.run(`mosquitto_pub -V ${flag} -i wren-user-${v} -u ${PASSWORD_USER} -P ${PASSWORD} -t wren/auth -m ok`);
      await s.run(`mosquitto_pub -V ${flag} -i wren-badpass-${v} -u ${PASSWORD_USER} -P wrong -t wren/auth -m no`);
      await s.run(`mosquitto_pub -V ${flag} -i wren-nouser-${v} -t wren/auth -m no`);
      await s.run(`mosquitto_pub -V ${flag} -i wren-useronly-${v} -u ${PASSWORD_USER} -t wren/auth -m no`);
    });
  }
  add('raw-protocol-level-6', 'main', async (s) => {
    const connect = mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, keepalive: 60, clientId: 'wren-raw-level6' });
    connect[8] = 6;
    await s.raw(connect, "raw socket sending mqtt-packet's generate({cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, keepalive: 60, clientId: 'wren-raw-level6'}) with the protocol level byte changed to 6; mosquitto answers in the 3.1.1 format", 4);
    const mqisdp = mqttPacket.generate({ cmd: 'connect', protocolId: 'MQIsdp', protocolVersion: 3, clean: true, keepalive: 60, clientId: 'wren-raw-level6' });
    mqisdp[10] = 6;
    await s.raw(mqisdp, "raw socket sending mqtt-packet's generate({cmd: 'connect', protocolId: 'MQIsdp', protocolVersion: 3, clean: true, keepalive: 60, clientId: 'wren-raw-level6'}) with the protocol level byte changed to 6", 3);
  });
  add('raw-v3-empty-client-id', 'main', async (s) => {
    // mqtt-packet's generate() and mosquitto_pub both refuse an empty 3.1 client id.
    const connect = mqttPacket.generate({ cmd: 'connect', protocolId: 'MQIsdp', protocolVersion: 3, clean: true, keepalive: 60, clientId: 'x' });
    const empty = Buffer.concat([Buffer.from([0x10, connect[1] - 1]), connect.subarray(2, 14), Buffer.from([0x00, 0x00])]);
    await s.raw(empty, "raw socket sending mqtt-packet's generate({cmd: 'connect', protocolId: 'MQIsdp', protocolVersion: 3, clean: true, keepalive: 60, clientId: 'x'}) with the client id cut to the empty string (and the lengths fixed)", 3);
  });

  // Broker limits.
  for (const { flag, level, js } of VERSIONS) {
    const v = `v${level}`;
    add(`limits-${v}`, 'limits', async (s) => {
      await s.run(`mosquitto_sub -V ${flag} -i wren-limits-${v} -k 20 -t wren/limits -q 2 -E`);
      await s.run(`mosquitto_sub -V ${flag} -i wren-limits-ka-${v} -k 60 -t wren/limits -q 1 -E`);
      await s.js(`${level > 3 ? `
        await connect({ ${js}, clientId: '', keepalive: 20 }).catch(() => null);` : ''}
        await connect({ ${js}, clientId: 'wren-js-limits-bigwill-${v}', keepalive: 20, will: { topic: 'wren/w', payload: Buffer.alloc(150, 0x77), qos: 0, retain: false } }).catch(() => null);
      `);
    });
  }
  add('limits-v5-violations', 'limits', async (s) => s.js(`
    const a = await connect({ protocolVersion: 5, clientId: 'wren-js-lim-size', keepalive: 20 });
    await a.publishAsync('wren/lim', Buffer.alloc(150, 0x61), { qos: 0 });
    a.publish('wren/lim', Buffer.alloc(600, 0x61), { qos: 0 });
    await seen(a, 'b2c', 'disconnect');
    const b = await connect({ protocolVersion: 5, clientId: 'wren-js-lim-qos', keepalive: 20 });
    b.publish('wren/lim', 'q2', { qos: 2 });
    await seen(b, 'b2c', 'disconnect');
    const c = await connect({ protocolVersion: 5, clientId: 'wren-js-lim-retain', keepalive: 20 });
    c.publish('wren/lim', 'r', { qos: 0, retain: true });
    await seen(c, 'b2c', 'disconnect');
    await connect({ protocolVersion: 5, clientId: 'wren-js-lim-willretain', keepalive: 20, will: { topic: 'wren/w', payload: Buffer.from('w'), qos: 0, retain: true } }).catch(() => null);
    await connect({ protocolVersion: 5, clientId: 'wren-js-lim-willqos', keepalive: 20, will: { topic: 'wren/w', payload: Buffer.from('w'), qos: 2, retain: false } }).catch(() => null);
    const e = await connect({ protocolVersion: 5, clientId: 'wren-js-lim-msgsize', keepalive: 20 });
    e.publish('wren/lim', Buffer.alloc(150, 0x61), { qos: 1 });
    await seen(e, 'b2c', 'puback');
    await sleep(300);
  `));
  add('raw-v5-malformed-publish', 'main', async (s) => {
    const connect = mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clean: true, keepalive: 60, clientId: 'wren-raw-qos3' });
    const publish = mqttPacket.generate({ cmd: 'publish', topic: 'wren/raw', payload: Buffer.from('x'), qos: 0 }, { protocolVersion: 5 });
    publish[0] |= 0x06;
    await s.raw(Buffer.concat([connect, publish]), "raw socket sending mqtt-packet's generate({cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clean: true, keepalive: 60, clientId: 'wren-raw-qos3'}) then generate({cmd: 'publish', topic: 'wren/raw', payload: 'x', qos: 0}) with both QoS bits set (QoS 3)", 5);
  });
  add('raw-v5-publish-packet-id-0', 'main', async (s) => {
    const connect = mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clean: true, keepalive: 60, clientId: 'wren-raw-pid0' });
    const publish = mqttPacket.generate({ cmd: 'publish', topic: 'wren/raw', payload: Buffer.from('x'), qos: 1, messageId: 0 }, { protocolVersion: 5 });
    await s.raw(Buffer.concat([connect, publish]), "raw socket sending mqtt-packet's generate({cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clean: true, keepalive: 60, clientId: 'wren-raw-pid0'}) then generate({cmd: 'publish', topic: 'wren/raw', payload: 'x', qos: 1, messageId: 0})", 5);
  });
  return list;
}

// ---------------------------------------------------------------------------------------------
// turning recordings into vectors

const AUTO_ID = /auto-[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}/g;
const AUTO_ID_FIXED = 'auto-00000000-0000-0000-0000-000000000000';

/** Rewrite mosquitto's random assigned client id to a fixed one of the same length. */
function scrubAutoId(bytes) {
  const text = bytes.toString('latin1');
  if (!AUTO_ID.test(text)) return { bytes, scrubbed: false };
  AUTO_ID.lastIndex = 0;
  return { bytes: Buffer.from(text.replace(AUTO_ID, AUTO_ID_FIXED), 'latin1'), scrubbed: true };
}

/** Property identifiers in wire order from the main property block, or null if not v5. */
const PROPERTY_IDS = {
  payloadFormatIndicator: 1, messageExpiryInterval: 2, contentType: 3, responseTopic: 8,
  correlationData: 9, subscriptionIdentifier: 11, sessionExpiryInterval: 17,
  assignedClientIdentifier: 18, serverKeepAlive: 19, authenticationMethod: 21,
  authenticationData: 22, requestProblemInformation: 23, willDelayInterval: 24,
  requestResponseInformation: 25, responseInformation: 26, serverReference: 28,
  reasonString: 31, receiveMaximum: 33, topicAliasMaximum: 34, topicAlias: 35, maximumQos: 36,
  retainAvailable: 37, userProperty: 38, maximumPacketSize: 39,
  wildcardSubscriptionAvailable: 40, subscriptionIdentifierAvailable: 41,
  sharedSubscriptionAvailable: 42,
};
const PROPERTY_SIZE = {
  1: 1, 2: 4, 3: 's', 8: 's', 9: 's', 11: 'v', 17: 4, 18: 's', 19: 2, 21: 's', 22: 's', 23: 1,
  24: 4, 25: 1, 26: 's', 28: 's', 31: 's', 33: 2, 34: 2, 35: 2, 36: 1, 37: 1, 38: 'ss', 39: 4,
  40: 1, 41: 1, 42: 1,
};

function readVarint(buffer, at) {
  let value = 0; let multiplier = 1; let used = 0;
  for (;;) {
    const byte = buffer[at + used];
    used += 1;
    value += (byte & 0x7f) * multiplier;
    multiplier *= 128;
    if ((byte & 0x80) === 0) return { value, used };
  }
}

/** Walk one property block; returns the identifiers in order and the offset after it. */
function walkProperties(buffer, at) {
  const { value: length, used } = readVarint(buffer, at);
  let pos = at + used;
  const end = pos + length;
  const ids = [];
  while (pos < end) {
    const id = buffer[pos];
    pos += 1;
    ids.push(id);
    const size = PROPERTY_SIZE[id];
    if (typeof size === 'number') pos += size;
    else if (size === 's') pos += 2 + buffer.readUInt16BE(pos);
    else if (size === 'ss') { pos += 2 + buffer.readUInt16BE(pos); pos += 2 + buffer.readUInt16BE(pos); }
    else if (size === 'v') pos += readVarint(buffer, pos).used;
    else throw new Error(`unknown property ${id}`);
  }
  return { ids, end };
}

/** Wire order of the main properties (and the will's) of a v5 packet, for cross-checking. */
function wirePropertyOrder(bytes, fields) {
  const { used } = readVarint(bytes, 1);
  const body = 1 + used;
  const str = (at) => at + 2 + bytes.readUInt16BE(at);
  switch (fields.type) {
    case 'connect': {
      const afterName = str(body);
      const main = walkProperties(bytes, afterName + 4);
      let will = null;
      if (fields.will) will = walkProperties(bytes, str(main.end)).ids;
      return { main: main.ids, will };
    }
    case 'connack': return { main: walkProperties(bytes, body + 2).ids };
    case 'publish': return { main: walkProperties(bytes, str(body) + (fields.qos > 0 ? 2 : 0)).ids };
    case 'puback': case 'pubrec': case 'pubrel': case 'pubcomp':
      return { main: bytes.length - body > 3 ? walkProperties(bytes, body + 3).ids : [] };
    case 'subscribe': case 'suback': case 'unsubscribe': case 'unsuback':
      return { main: walkProperties(bytes, body + 2).ids };
    case 'disconnect': case 'auth':
      return { main: bytes.length - body > 1 ? walkProperties(bytes, body + 1).ids : [] };
    default: return { main: [] };
  }
}

/** Whether the bytes use the shortest form the spec allows (MQTT 5 §3.4.2.1, §3.14.2.1, §3.15.2.1). */
function isCanonical(bytes, fields, version) {
  if (version !== 5) return true;
  const { value: remaining } = readVarint(bytes, 1);
  const bare = (fields.properties ?? []).length === 0;
  switch (fields.type) {
    case 'puback': case 'pubrec': case 'pubrel': case 'pubcomp':
      if (bare) return remaining === (fields.reasonCode === 0 ? 2 : 3);
      return true;
    case 'disconnect': case 'auth':
      if (bare) return remaining === (fields.reasonCode === 0 ? 0 : 1);
      return true;
    default:
      return true;
  }
}

// --- names -----------------------------------------------------------------------------------

const PROPERTY_ABBREVIATIONS = {
  payloadFormatIndicator: 'pfi', messageExpiryInterval: 'mei', contentType: 'ct',
  responseTopic: 'rt', correlationData: 'cd', subscriptionIdentifier: 'subid',
  sessionExpiryInterval: 'sei', assignedClientIdentifier: 'aci', serverKeepAlive: 'ska',
  authenticationMethod: 'am', authenticationData: 'ad', requestProblemInformation: 'rpi',
  willDelayInterval: 'wdi', requestResponseInformation: 'rri', responseInformation: 'ri',
  serverReference: 'sr', reasonString: 'rs', receiveMaximum: 'rm', topicAliasMaximum: 'tam',
  topicAlias: 'ta', maximumQos: 'mq', retainAvailable: 'ra', userProperty: 'up',
  maximumPacketSize: 'mps', wildcardSubscriptionAvailable: 'wsa',
  subscriptionIdentifierAvailable: 'sia', sharedSubscriptionAvailable: 'ssa',
};
const hex2 = (n) => n.toString(16).padStart(2, '0');

function propertyTag(properties, prefix = 'p') {
  if (!properties || properties.length === 0) return [];
  const names = [...new Set(properties.map(([name]) => PROPERTY_ABBREVIATIONS[name]))];
  return [`${prefix}_${names.join('_')}`];
}

/** A readable, deterministic name built from the fields (collisions are resolved later). */
function describe(fields, version, bytes) {
  const parts = [fields.type, `v${version}`];
  const { value: remaining, used } = readVarint(bytes, 1);
  switch (fields.type) {
    case 'connect':
      parts.push(fields.cleanStart ? 'clean' : 'persistent', `ka${fields.keepAlive}`);
      if (fields.clientId === '') parts.push('noid');
      if (fields.will) {
        parts.push(`will_q${fields.will.qos}${fields.will.retain ? '_retain' : ''}`);
        if (fields.will.payload === '') parts.push('empty');
        parts.push(...propertyTag(fields.will.properties, 'wp'));
      }
      if (fields.username !== null) parts.push('user');
      if (fields.password !== null) parts.push('pass');
      break;
    case 'connack':
      if (fields.sessionPresent) parts.push('sp');
      parts.push(`rc${hex2(fields.reasonCode)}`);
      break;
    case 'publish':
      parts.push(`q${fields.qos}`);
      if (fields.dup) parts.push('dup');
      if (fields.retain) parts.push('retain');
      if (fields.topic === '') parts.push('notopic');
      if (fields.payload === '') parts.push('empty');
      if (used > 1) parts.push(`rl${remaining}`);
      break;
    case 'puback': case 'pubrec': case 'pubrel': case 'pubcomp':
      if (version === 5) parts.push(`rc${hex2(fields.reasonCode)}`, `len${remaining}`);
      break;
    case 'subscribe':
      parts.push(`n${fields.subscriptions.length}`, `q${fields.subscriptions.map((x) => x.qos).join('')}`);
      if (fields.subscriptions.some((x) => x.noLocal || x.retainAsPublished || x.retainHandling)) parts.push('opts');
      break;
    case 'suback': case 'unsuback':
      if (fields.reasonCodes.length) parts.push(`rc${fields.reasonCodes.map(hex2).join('_')}`);
      break;
    case 'unsubscribe':
      parts.push(`n${fields.topicFilters.length}`);
      break;
    case 'disconnect': case 'auth':
      if (version === 5) parts.push(`rc${hex2(fields.reasonCode)}`, `len${remaining}`);
      break;
    default:
  }
  if (fields.properties) parts.push(...propertyTag(fields.properties));
  return parts.join('_');
}

// --- collection --------------------------------------------------------------------------------

/** Turn one scenario's recordings into candidate vectors (in capture order). */
function collect(scenario, problems) {
  const out = [];
  for (const record of scenario.records) {
    const provenanceBase = record.clientLabel ? `${record.provenance} [${record.clientLabel}]` : record.provenance;
    for (const connection of record.proxy.connections) {
      const cut = framePackets(connection.bytes.c2b).rest + framePackets(connection.bytes.b2c).rest;
      if (cut) problems.push(`${scenario.name}: ${cut} bytes of a partial packet at the end of a stream`);
      const first = connection.packets.c2b[0];
      let version = record.version;
      if (version === undefined) {
        if (!first || first.type !== 'connect') continue;
        version = parseWithMqttPacket(first.bytes, 5).packets[0]?.protocolVersion ?? first.bytes[8];
      }
      const nth = record.proxy.connections.length > 1 ? `, connection ${connection.index + 1}` : '';
      for (const direction of record.directions ?? ['c2b', 'b2c']) {
        const arrow = direction === 'c2b' ? 'client -> broker' : 'broker -> client';
        for (const packet of connection.packets[direction]) {
          const { bytes, scrubbed } = scrubAutoId(packet.bytes);
          const parsed = parseWithMqttPacket(bytes, version);
          const hexText = bytes.toString('hex');
          if (parsed.error || parsed.packets.length !== 1 || parsed.rest !== 0) {
            problems.push(`mqtt-packet refuses a captured ${packet.type} (v${version}, ${arrow}) ${hexText}: ${parsed.error?.message ?? 'no single packet'} — ${provenanceBase}`);
            continue;
          }
          const fields = fieldsFromMqttPacket(parsed.packets[0], version);
          if (version === 5) {
            const order = wirePropertyOrder(bytes, fields);
            const ours = (list = []) => list.map(([name]) => PROPERTY_IDS[name]).join(',');
            if (order.main.join(',') !== ours(fields.properties)
              || (order.will && order.will.join(',') !== ours(fields.will.properties))) {
              problems.push(`property order lost by mqtt-packet, vector dropped: ${hexText} (${provenanceBase})`);
              continue;
            }
          }
          let provenance = `${provenanceBase} (${arrow}${nth})`;
          if (scrubbed) provenance += `; the broker's random assigned client id auto-<uuid> is replaced by ${AUTO_ID_FIXED} (same length)`;
          const vector = { name: '', version, hex: hexText, fields, provenance, expect: 'ok' };
          if (!isCanonical(bytes, fields, version)) vector.canonical = false;
          vector.base = describe(fields, version, bytes);
          out.push(vector);
          if (VERBOSE || ONLY) console.log(`    v${version} ${arrow} ${packet.type.padEnd(11)} ${hexText.length > 100 ? `${hexText.slice(0, 100)}…` : hexText}`);
        }
      }
    }
  }
  return out;
}

/** Deduplicate on (version, hex), name, and group by family. */
export function finalize(candidates) {
  const seen = new Map();
  for (const vector of candidates) {
    const key = `${vector.version}:${vector.hex}`;
    if (!seen.has(key)) seen.set(key, vector);
  }
  const unique = [...seen.values()];
  const byBase = new Map();
  for (const vector of unique) {
    if (!byBase.has(vector.base)) byBase.set(vector.base, []);
    byBase.get(vector.base).push(vector);
  }
  for (const [base, group] of byBase) {
    for (const vector of group) {
      vector.name = group.length === 1 ? base
        : `${base}_${createHash('sha256').update(`${vector.version}:${vector.hex}`).digest('hex').slice(0, 6)}`;
    }
  }
  const families = Object.fromEntries(FAMILY_NAMES.map((f) => [f, []]));
  const typeOrder = (t) => PACKET_TYPES.indexOf(t);
  for (const vector of unique) {
    const { base, ...clean } = vector;
    void base;
    families[FAMILIES[vector.fields.type]].push(clean);
  }
  for (const list of Object.values(families)) {
    list.sort((a, b) => typeOrder(a.fields.type) - typeOrder(b.fields.type)
      || a.version - b.version || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
  return families;
}

export function writeFamily(family, vectors) {
  const file = path.join(VECTOR_DIR, `${family}.json`);
  fs.writeFileSync(file, `${JSON.stringify(vectors, null, 2)}\n`);
  return file;
}

// ---------------------------------------------------------------------------------------------
// main

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wrenmq-capture-'));
  const brokers = makeBrokers(dir);
  let exitCode = 0;
  const hardStop = setTimeout(() => {
    console.error(`capture: gave up after ${TOTAL_TIMEOUT_MS / 1000} s`);
    cleanup(dir, brokers).finally(() => process.exit(2));
  }, TOTAL_TIMEOUT_MS);
  hardStop.unref();
  const onSignal = () => { cleanup(dir, brokers).finally(() => process.exit(130)); };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    prepareDirectory(dir);
    for (const broker of Object.values(brokers)) await broker.start(dir);
    console.log(`brokers: ${Object.values(brokers).map((b) => `${b.name}@${b.port}`).join(', ')}`);
    const problems = [];
    const candidates = [];
    for (const { name, broker, run } of scenarios()) {
      if (ONLY && !name.includes(ONLY)) continue;
      console.log(`- ${name}`);
      const scenario = new Scenario(name, brokers[broker]);
      try {
        await withTimeout(run(scenario), SCENARIO_TIMEOUT_MS, `scenario ${name}`);
      } catch (err) {
        problems.push(`${name}: ${err.message}`);
      }
      await scenario.finish();
      candidates.push(...collect(scenario, problems));
    }
    for (const problem of problems) console.warn(`! ${problem}`);
    if (ONLY) {
      console.log(`--only: ${candidates.length} packets captured, nothing written`);
    } else {
      const families = finalize(candidates);
      for (const [family, vectors] of Object.entries(families)) {
        writeFamily(family, vectors);
        console.log(`wrote test/vectors/${family}.json: ${vectors.length} valid vectors`);
      }
      const { appendMalformed } = await import('./malformed.mjs');
      appendMalformed();
    }
    if (problems.some((p) => !p.startsWith('mqtt-packet refuses'))) exitCode = 1;
  } catch (err) {
    console.error(err.stack ?? err);
    exitCode = 1;
  } finally {
    await cleanup(dir, brokers);
    clearTimeout(hardStop);
  }
  process.exitCode = exitCode;
}

async function cleanup(dir, brokers) {
  for (const client of mqttClients) { try { client.end(true); } catch { /* ignore */ } }
  for (const child of children) killChild(child, 'SIGKILL');
  for (const proxy of [...proxies]) await proxy.close().catch(() => {});
  for (const broker of Object.values(brokers)) await broker.stop().catch(() => {});
  fs.rmSync(dir, { recursive: true, force: true });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await main();
}
