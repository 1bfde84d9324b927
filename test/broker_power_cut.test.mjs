// Goal: the broker acknowledges only what is on flash. After a power cut at any programmed byte
// and a restart, a persistent subscriber gets every message the publisher saw acknowledged, a
// QoS 2 message once, in-flight deliveries again with their packet ids, and the newest
// acknowledged retained value; and the restarted broker takes new messages.
// Method: the WASM broker runs on a flash image whose imports keep NOR rules and cut the power
// after byte N (the write that crosses N is torn; erases are cut half-way). Scripted clients
// speak through mqtt-packet: a 3.1.1 persistent publisher streams QoS 1 and QoS 2 messages and
// retained values, a 5.0 subscriber with a session expiry answers with a lag so deliveries are
// in flight. Bytes the broker produced during a call in which the power went never leave (the
// device died). Then a new instance boots from the image, both clients reconnect and finish
// their flows as the spec says (resend with DUP, PUBREL again). The power is cut after every
// programmed byte of the workload in turn. The broker is a test build with 4 MB of memory
// (build/test/broker.wasm), so thousands of boots stay cheap.
// The broker asks an ACL (the authorize import) that lets only logged-in users read and write,
// and every client logs in: a session restored without its user name would be judged as an
// anonymous client, lose its deliveries and show up here as acknowledged messages lost.
// A second workload changes a session's expiry (its record is rewritten) and ends another with
// a clean start, cut at every byte too: the restore must place every record it finds.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import mqttPacket from "mqtt-packet";

const MODULE = new WebAssembly.Module(readFileSync(new URL("../build/test/broker.wasm", import.meta.url)));
const LIMIT = { packetSizeMax: 1, sessionCountMax: 5, connectionCountMax: 4, subscriptionCountMax: 6, queueCountMax: 9, inflightCountMax: 10,
  messageCountMax: 12, messageBytesMax: 13, retainedCountMax: 14, storeRecordCountMax: 23, sysIntervalSeconds: 18 };
const LIMITS = { packetSizeMax: 1024, sessionCountMax: 8, connectionCountMax: 8, subscriptionCountMax: 16, queueCountMax: 200, inflightCountMax: 6,
  messageCountMax: 256, messageBytesMax: 65536, retainedCountMax: 8, storeRecordCountMax: 512, sysIntervalSeconds: 0 };
const GEOMETRY = { sectorSize: 2048, sectorCount: 6, writeSize: 4 }; // small: the log wraps and compacts during the workload
const MESSAGES = 48;
const ERR_FLASH_POWER = -82;

/** One boot of the broker over `image`, with the power cut after `budget` more programmed bytes. */
class Device {
  /** `acl`: only clients with a user name may read or write (the core must keep user names across the cut). */
  constructor(image, budget, { acl = false } = {}) {
    this.image = image;
    this.budget = budget;
    this.programmed = 0;
    this.dead = false;
    const { sectorSize } = GEOMETRY;
    const memory = () => this.core.memory.buffer;
    const env = {
      abort: (m, f, line, column) => { throw new Error(`wasm abort at ${line}:${column}`); },
      authenticate: () => 0,
      authorize: (clientId, clientIdLength, username, usernameLength) => (usernameLength >= 0 ? 1 : 0),
      flashErase: (sector) => {
        if (this.dead) return ERR_FLASH_POWER;
        if (this.budget <= 0) { // cut mid-erase: half the sector erased
          image.fill(0xff, sector * sectorSize, sector * sectorSize + sectorSize / 2);
          this.dead = true;
          return ERR_FLASH_POWER;
        }
        this.budget--;
        image.fill(0xff, sector * sectorSize, (sector + 1) * sectorSize);
        return 0;
      },
      flashProgram: (address, pointer, length) => {
        if (this.dead) return ERR_FLASH_POWER;
        const bytes = new Uint8Array(memory(), pointer, length);
        const count = Math.min(length, this.budget);
        for (let i = 0; i < count; i++) {
          if ((image[address + i] & bytes[i]) !== bytes[i]) throw new Error(`NOR rule broken at ${address + i}: 0 -> 1 without an erase`);
          image[address + i] &= bytes[i];
        }
        this.budget -= count;
        this.programmed += count;
        if (count < length) {
          this.dead = true;
          return ERR_FLASH_POWER;
        }
        return 0;
      },
      flashRead: (address, pointer, length) => {
        if (this.dead) return ERR_FLASH_POWER;
        new Uint8Array(memory(), pointer, length).set(image.subarray(address, address + length));
        return 0;
      },
    };
    this.core = new WebAssembly.Instance(MODULE, { env }).exports;
    for (const [name, value] of Object.entries(LIMITS)) this.core.limitSet(LIMIT[name], value);
    this.core.securityUse(0, acl ? 1 : 0);
    const status = this.core.initWithFlash(GEOMETRY.sectorSize, GEOMETRY.sectorCount, GEOMETRY.writeSize, 0);
    if (status !== 0) throw new Error(`initWithFlash ${status}`);
    this.rx = () => new Uint8Array(memory(), this.core.rxPointer(), this.core.rxSize());
    this.tx = () => new Uint8Array(memory(), this.core.txPointer(), this.core.rxSize());
  }

  /** Feeds `bytes` to `slot`; then collects every slot's output, unless the power went meanwhile. */
  input(slot, bytes) {
    let offset = 0;
    while (offset < bytes.length && !this.dead) {
      const length = Math.min(bytes.length - offset, this.core.rxSize());
      this.rx().set(bytes.subarray(offset, offset + length));
      const used = this.core.input(slot, 0, length);
      offset += used;
      if (used === 0) this.drain();
    }
    this.drain();
  }

  drain() {
    for (let slot = this.core.nextWritable(); slot >= 0 && !this.dead; slot = this.core.nextWritable()) {
      for (;;) {
        const length = this.core.output(slot, 0);
        if (length === 0 || this.dead) break; // output made during the cut never leaves
        this.clients.get(slot)?.receive(Buffer.from(this.tx().subarray(0, length)));
      }
    }
  }
}

/** A scripted MQTT client: what it sends, what it has seen, and the spec's rules for its own side. */
class Client {
  constructor(name, version) {
    this.name = name;
    this.version = version;
    this.inbox = [];
  }

  attach(device) {
    this.device = device;
    this.slot = device.core.open(0);
    device.clients.set(this.slot, this);
    this.parser = mqttPacket.parser({ protocolVersion: this.version });
    this.parser.on("packet", (packet) => this.inbox.push(packet));
  }

  send(packet) {
    if (!this.device.dead) this.device.input(this.slot, mqttPacket.generate(packet, { protocolVersion: this.version }));
  }

  receive(bytes) {
    this.parser.parse(bytes);
  }

  take() {
    const packets = this.inbox;
    this.inbox = [];
    return packets;
  }
}

/** Runs the workload until the device dies (or to its end). Returns what the clients saw. */
function runLife(device, state) {
  const { publisher, subscriber } = state;
  const retainedEvery = 5;
  for (let n = state.next; n < MESSAGES && !device.dead; n++) {
    state.next = n + 1;
    const qos = n % 2 ? 2 : 1;
    const id = n + 1;
    const retain = n % retainedEvery === 0;
    state.sent.set(id, { n, qos, retain, recd: false });
    publisher.send({ cmd: "publish", topic: retain ? "r/v" : `t/${n % 3}`, payload: String(n), qos, messageId: id, retain });
    pumpPublisher(state);
    // The subscriber answers what it got two steps ago: deliveries stay in flight.
    pumpSubscriber(state, n % 3 === 0);
  }
}

function pumpPublisher(state) {
  const { publisher } = state;
  for (const packet of publisher.take()) {
    const entry = state.sent.get(packet.messageId);
    if (!entry) continue;
    if (packet.cmd === "puback" || packet.cmd === "pubrec") {
      assert.ok(packet.reasonCode === undefined || packet.reasonCode < 0x80, `${packet.cmd} refused ${packet.reasonCode}`);
      state.acked.add(entry.n);
      if (entry.retain) state.retainedAcked = Math.max(state.retainedAcked, entry.n);
    }
    if (packet.cmd === "puback") state.sent.delete(packet.messageId);
    if (packet.cmd === "pubrec") {
      entry.recd = true;
      publisher.send({ cmd: "pubrel", messageId: packet.messageId });
    }
    if (packet.cmd === "pubcomp") state.sent.delete(packet.messageId);
  }
}

/** A receiver that delivers a QoS 2 message on PUBLISH and keeps its id until PUBREL (MQTT 5 §4.3.3, method A). */
function pumpSubscriber(state, answer) {
  const { subscriber } = state;
  state.unanswered.push(...subscriber.take());
  if (!answer) return;
  const packets = state.unanswered;
  state.unanswered = [];
  for (const packet of packets) {
    if (packet.cmd === "publish") {
      const n = Number(packet.payload);
      if (packet.qos === 2 && state.receipts.has(packet.messageId)) {
        // a resend of what we hold: not delivered again
      } else {
        state.delivered.set(n, (state.delivered.get(n) ?? 0) + 1);
        if (packet.qos === 2) state.receipts.add(packet.messageId);
      }
      if (packet.dup) state.dups++;
      subscriber.send({ cmd: packet.qos === 2 ? "pubrec" : "puback", messageId: packet.messageId });
    } else if (packet.cmd === "pubrel") {
      state.receipts.delete(packet.messageId);
      subscriber.send({ cmd: "pubcomp", messageId: packet.messageId });
    }
  }
}

function connectClients(device, state, first) {
  const { publisher, subscriber } = state;
  device.clients = new Map();
  publisher.attach(device);
  subscriber.attach(device);
  publisher.send({ cmd: "connect", protocolId: "MQTT", protocolVersion: 4, clientId: "pub", clean: false, keepalive: 0, username: "publisher" });
  subscriber.send({ cmd: "connect", protocolId: "MQTT", protocolVersion: 5, clientId: "sub", clean: first, keepalive: 0,
    username: "subscriber", properties: { sessionExpiryInterval: 3600 } });
  const connacks = [];
  for (const client of [publisher, subscriber]) {
    connacks.push(...client.inbox.filter((packet) => packet.cmd === "connack"));
    client.inbox = client.inbox.filter((packet) => packet.cmd !== "connack"); // resends may follow the CONNACK
  }
  // A client subscribes when its session is new (the server did not keep it), and sends a
  // SUBSCRIBE again when its SUBACK never came.
  if (!device.dead && (first || !connacks[1]?.sessionPresent || !state.subacked)) {
    subscriber.send({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic: "t/#", qos: 2 }] });
    if (subscriber.inbox.some((packet) => packet.cmd === "suback")) state.subacked = true;
    subscriber.inbox = subscriber.inbox.filter((packet) => packet.cmd !== "suback");
  }
  return connacks;
}

/** One cut: the workload with the power cut after `budget` bytes, a restart, and the checks. */
function runCut(budget) {
  const image = new Uint8Array(GEOMETRY.sectorSize * GEOMETRY.sectorCount).fill(0xff);
  const state = {
    publisher: new Client("pub", 4), subscriber: new Client("sub", 5), next: 0, sent: new Map(), acked: new Set(),
    retainedAcked: -1, delivered: new Map(), receipts: new Set(), unanswered: [], dups: 0, subacked: false,
  };
  let device = new Device(image, budget, { acl: true });
  const firstConnacks = connectClients(device, state, true);
  const publisherConnected = firstConnacks.length > 0; // the publisher's CONNACK left before the cut
  const subscribed = state.subacked;
  runLife(device, state);
  const programmed = device.programmed;
  const cut = device.dead;

  // Restart from what the flash holds.
  device = new Device(image, Infinity, { acl: true });
  state.unanswered = []; // lost with the connection
  state.publisher.take();
  const connacks = connectClients(device, state, false);
  // The publisher resends what was not acknowledged, with DUP, and PUBREL for what was (MQTT-4.4.0-1).
  for (const [id, entry] of state.sent) {
    if (entry.recd) state.publisher.send({ cmd: "pubrel", messageId: id });
    else state.publisher.send({ cmd: "publish", topic: entry.retain ? "r/v" : `t/${entry.n % 3}`, payload: String(entry.n), qos: entry.qos, messageId: id, dup: true, retain: entry.retain });
  }
  for (let round = 0; round < 10; round++) {
    pumpPublisher(state);
    pumpSubscriber(state, true);
    device.drain();
  }
  // The restarted store takes new messages.
  state.publisher.send({ cmd: "publish", topic: "t/after", payload: "1000", qos: 1, messageId: 9999 });
  for (let round = 0; round < 3; round++) {
    pumpPublisher(state);
    pumpSubscriber(state, true);
  }
  const reader = new Client("reader", 4);
  reader.attach(device);
  reader.send({ cmd: "connect", protocolId: "MQTT", protocolVersion: 4, clientId: "reader", clean: true, keepalive: 0, username: "reader" });
  reader.send({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic: "r/#", qos: 1 }] });
  const retained = reader.take().filter((packet) => packet.cmd === "publish").map((packet) => Number(packet.payload));
  return { state, programmed, cut, publisherConnected, subscribed, connacks, retained };
}

function check(budget, result) {
  const { state, connacks, retained } = result;
  const where = `cut after byte ${budget}`;
  // A CONNACK (persistent session) or SUBACK that left the broker means the session was on flash.
  if (result.publisherConnected) assert.ok(connacks[0].sessionPresent, `${where}: the publisher's session restored`);
  if (result.subscribed) assert.ok(connacks[1].sessionPresent, `${where}: the subscriber's session restored`);
  const missing = [...state.acked].filter((n) => n % 5 !== 0 && !state.delivered.has(n));
  assert.deepEqual(missing, [], `${where}: acknowledged messages lost`);
  const twice = [...state.delivered].filter(([n, times]) => n % 2 === 1 && times > 1).map(([n]) => n);
  assert.deepEqual(twice, [], `${where}: QoS 2 messages delivered twice`);
  assert.ok(state.delivered.has(1000), `${where}: the restarted broker delivers a new message`);
  if (state.retainedAcked >= 0) {
    assert.equal(retained.length, 1, `${where}: one retained message`);
    assert.ok(retained[0] >= state.retainedAcked, `${where}: retained ${retained[0]} is older than the acknowledged ${state.retainedAcked}`);
  }
}

test("power cut at every byte of a QoS 1/2 workload: nothing acknowledged is lost, QoS 2 once, retained kept", () => {
  const full = runCut(Infinity);
  check(Infinity, full);
  assert.equal(full.cut, false);
  assert.equal(full.state.acked.size, MESSAGES, "every message acknowledged without a cut");
  const total = full.programmed;
  let duplicatesResent = 0;
  for (let budget = 0; budget < total; budget++) {
    const result = runCut(budget);
    assert.ok(result.cut, `the power went at byte ${budget} of ${total}`);
    check(budget, result);
    duplicatesResent += result.state.dups;
  }
  console.log(`  ${total} cut points (every programmed byte); ${duplicatesResent} deliveries resent with DUP after restarts`);
});

test("session records follow expiry changes and session ends, through a cut at every byte", () => {
  /** Connects `clientId` (5.0) with `expiry` and `clean`; returns the CONNACK's session present flag, or null when none left. */
  const session = (device, clientId, expiry, clean, then = []) => {
    const client = new Client(clientId, 5);
    client.attach(device);
    client.send({ cmd: "connect", protocolId: "MQTT", protocolVersion: 5, clientId, clean, keepalive: 0, properties: { sessionExpiryInterval: expiry } });
    for (const packet of then) client.send(packet);
    const connack = client.take().find((packet) => packet.cmd === "connack");
    client.send({ cmd: "disconnect", reasonCode: 0 });
    device.core.closed(client.slot, 0);
    return connack ? connack.sessionPresent : null;
  };
  const workload = (device) => {
    session(device, "a", 100, true, [{ cmd: "subscribe", messageId: 1, subscriptions: [{ topic: "x/#", qos: 1 }] }]);
    session(device, "a", 200, false); // a new expiry: a new session record replaces the old
    session(device, "b", 100, true);
    session(device, "b", 0, true); // clean start: b's session ends, and its records go
  };
  const run = (budget) => {
    const image = new Uint8Array(GEOMETRY.sectorSize * GEOMETRY.sectorCount).fill(0xff);
    const device = new Device(image, budget);
    device.clients = new Map();
    workload(device);
    const programmed = device.programmed;
    const restarted = new Device(image, Infinity);
    restarted.clients = new Map();
    return { programmed, restarted, dropped: restarted.core.counter(13), records: restarted.core.storeCount() };
  };
  const full = run(Infinity);
  assert.equal(full.dropped, 0);
  assert.equal(full.records, 2, "a's session and subscription, nothing of b");
  assert.equal(session(full.restarted, "a", 200, false), true, "a restored");
  assert.equal(session(full.restarted, "b", 100, false), false, "b ended before the restart");
  for (let budget = 0; budget < full.programmed; budget++) {
    const { restarted, dropped, records } = run(budget);
    assert.equal(dropped, 0, `cut after byte ${budget}: records left that the restore could not place`);
    assert.ok(records <= 3, `cut after byte ${budget}: ${records} records (at most a's session and subscription, and b's session)`);
    session(restarted, "a", 200, false); // the restored broker takes the client without trouble
  }
});
