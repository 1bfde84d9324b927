// Goal: the broker core's rules for who gets in and what gets through hold in every build:
// wills are authorised like PUBLISHes (at CONNECT, and again when published), nobody publishes
// to $SYS or $share, an unsupported Authentication Method is refused, one user cannot take the
// session table, sockets without CONNECT cannot hold the connection table, a QoS 1/2 publisher
// waits for a full connected subscriber instead of being acknowledged and dropped (up to
// queueWaitMs of no progress), and a congested connection loses only QoS 0 copies, counted.
// Method: the broker core under script (test/support/broker_script.mjs) in the WASM release,
// WASM checked and JS builds, with a small ACL (user a: readwrite a/; user b: read a/).
import { test } from "node:test";
import assert from "node:assert/strict";
import { ACCESS, BrokerScript, CLOSE, INPUT } from "./support/broker_script.mjs";

const BUILDS = ["wasm", "wasm-checked", "js"];

/** The ACL: a may read and write a/…, b may only read it. */
function withAcl(script) {
  script.rule("a", "a/", ACCESS.all);
  script.rule("b", "a/", ACCESS.read | ACCESS.subscribe);
  return script;
}

const will = (topic, fields = {}) => ({ topic, payload: Buffer.from("bye"), qos: 0, retain: false, ...fields });
const publishes = (client) => client.take().filter((packet) => packet.cmd === "publish");

for (const build of BUILDS) {
  test(`${build}: a will the user may not publish is refused at CONNECT (0x87 / 5), $SYS wills by everyone`, () => {
    const script = withAcl(new BrokerScript(build));
    for (const [version, refused] of [[5, { reasonCode: 0x87 }], [4, { returnCode: 5 }]]) {
      const b = script.client(version);
      assert.deepEqual(pick(b.connect({ clientId: `b${version}`, username: "b", will: will("a/will-from-b", { retain: true }) }), refused), refused);
      assert.equal(b.open, false);
    }
    const a = script.client(5);
    assert.equal(a.connect({ clientId: "a1", username: "a", will: will("a/will-from-a") }).reasonCode, 0, "a may");
    const open = new BrokerScript(build); // no ACL at all
    for (const topic of ["$SYS/broker/version", "$SYS/broker/clients/connected", "$share/g/x"]) {
      assert.equal(open.client(5).connect({ clientId: "x", will: will(topic, { retain: true }) }).reasonCode, 0x87, topic);
    }
    assert.equal(open.client(5).connect({ clientId: "bridge", will: will("$SYS/broker/connection/host.up/state") }).reasonCode, 0,
      "the bridge state topic, as Mosquitto allows it");
    assert.equal(script.counter("denied") + open.counter("denied"), 5);
  });

  test(`${build}: a will is checked again when it is published: refused then, it is dropped and counted`, () => {
    const script = withAcl(new BrokerScript(build));
    const watcher = script.client(5);
    watcher.connect({ clientId: "watcher", username: "a" });
    watcher.send({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic: "a/#", qos: 0 }] });
    watcher.take();
    const device = script.client(5);
    assert.equal(device.connect({ clientId: "device", username: "a", will: will("a/status") }).reasonCode, 0);
    script.api.brokerDriverRulesClear(); // a reload takes a's write right away
    script.rule("a", "a/", ACCESS.read | ACCESS.subscribe);
    device.vanish();
    assert.deepEqual(publishes(watcher), [], "not published");
    assert.equal(script.counter("denied"), 1);
  });

  test(`${build}: clients never publish to $SYS or $share, with or without an ACL (0x87 in 5.0; nothing routed or retained)`, () => {
    const script = new BrokerScript(build);
    const watcher = script.client(5);
    watcher.connect({ clientId: "watcher" });
    watcher.send({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic: "$SYS/#", qos: 1 }] });
    watcher.take();
    for (const version of [5, 4]) {
      const client = script.client(version);
      client.connect({ clientId: `p${version}` });
      client.send({ cmd: "publish", topic: "$SYS/broker/version", payload: Buffer.from("pwned"), qos: 1, retain: true, messageId: 3 });
      client.send({ cmd: "publish", topic: "$share/g/t", payload: Buffer.from("x"), qos: 1, messageId: 4 });
      const acks = client.take().filter((packet) => packet.cmd === "puback");
      assert.deepEqual(acks.map((ack) => ack.reasonCode ?? 0), version === 5 ? [0x87, 0x87] : [0, 0]);
      assert.equal(client.open, true, "refused, not disconnected (as Mosquitto)");
    }
    assert.deepEqual(publishes(watcher), []);
    const late = script.client(5);
    late.connect({ clientId: "late" });
    late.send({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic: "$SYS/broker/version", qos: 0 }] });
    assert.deepEqual(publishes(late), [], "nothing retained");
    assert.equal(script.counter("denied"), 4);
  });

  test(`${build}: an Authentication Method the broker does not offer gets CONNACK 0x8C (MQTT-4.12.0-1)`, () => {
    const script = new BrokerScript(build);
    const client = script.client(5);
    const connack = client.connect({ clientId: "scram", username: "a", password: Buffer.from("pw"),
      properties: { authenticationMethod: "SCRAM-SHA-1", authenticationData: Buffer.from("client-first") } });
    assert.equal(connack.reasonCode, 0x8c);
    assert.equal(client.open, false);
  });

  test(`${build}: one user's share of the session table (sessionsPerUserMax), anonymous clients counted together`, () => {
    const script = new BrokerScript(build, { sessionsPerUserMax: 2 });
    for (const id of ["b1", "b2"]) assert.equal(script.client(5).connect({ clientId: id, username: "b" }).reasonCode, 0);
    assert.equal(script.client(5).connect({ clientId: "b3", username: "b" }).reasonCode, 0x97, "b's third session: Quota exceeded");
    assert.equal(script.client(4).connect({ clientId: "b4", username: "b" }).returnCode, 3, "3.1.1: Server unavailable");
    assert.equal(script.client(5).connect({ clientId: "b1", username: "b" }).reasonCode, 0, "b taking over its own session is fine");
    assert.equal(script.client(5).connect({ clientId: "a1", username: "a" }).reasonCode, 0, "a still gets in");
    for (const id of ["n1", "n2"]) assert.equal(script.client(5).connect({ clientId: id }).reasonCode, 0);
    assert.equal(script.client(5).connect({ clientId: "n3" }).reasonCode, 0x97, "anonymous clients share one quota");
  });

  test(`${build}: a session is not resumed under another user name: it starts clean`, () => {
    const script = new BrokerScript(build);
    const a = script.client(5);
    a.connect({ clientId: "shared-id", username: "a", properties: { sessionExpiryInterval: 600 } });
    a.send({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic: "a/#", qos: 1 }] });
    a.vanish();
    const b = script.client(5);
    assert.equal(b.connect({ clientId: "shared-id", username: "b", clean: false, properties: { sessionExpiryInterval: 600 } }).sessionPresent, false);
    const again = script.client(5);
    assert.equal(again.connect({ clientId: "shared-id", username: "b", clean: false, properties: { sessionExpiryInterval: 600 } }).sessionPresent, true);
  });

  test(`${build}: sockets without CONNECT have their own share of the table (oldest pushed out) and time out`, () => {
    const script = new BrokerScript(build, { connectionCountMax: 2, connectingCountMax: 2, connectTimeoutMs: 1000 });
    const idle = [script.client(), script.client()];
    const third = script.client();
    assert.equal(idle[0].closedBy, CLOSE.pushedOut, "the oldest waiting socket made room");
    assert.equal(idle[1].open, true);
    assert.equal(third.connect({ clientId: "legit" }).returnCode, 0, "a client that sends CONNECT gets in");
    script.advance(1001);
    assert.equal(idle[1].closedBy, CLOSE.connectTimeout);
    assert.equal(script.counter("connectAbandoned"), 2);
  });

  test(`${build}: a first packet larger than connectSizeMax is refused; after CONNECT packetSizeMax applies`, () => {
    const script = new BrokerScript(build, { connectSizeMax: 256 });
    const big = script.client(5);
    big.connect({ clientId: "big", will: will("w", { payload: Buffer.alloc(400, 0x41) }) });
    assert.equal(big.open, false);
    const ok = script.client(5);
    assert.equal(ok.connect({ clientId: "ok" }).reasonCode, 0);
    ok.send({ cmd: "publish", topic: "t", payload: Buffer.alloc(2000, 0x42), qos: 1, messageId: 1 });
    assert.equal(ok.take().find((packet) => packet.cmd === "puback").reasonCode, 0x10, "taken (no subscribers)");
  });

  test(`${build}: a QoS 1 publisher waits for a full connected subscriber instead of losing its message; past queueWaitMs the copy is dropped, counted`, () => {
    const script = new BrokerScript(build, { queueCountMax: 4, inflightCountMax: 2, queueWaitMs: 3000 });
    const subscriber = script.client(5);
    subscriber.connect({ clientId: "slow" });
    subscriber.send({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic: "t", qos: 1 }] });
    subscriber.take();
    const publisher = script.client(5);
    publisher.connect({ clientId: "fast" });
    for (let n = 1; n <= 6; n++) publisher.send({ cmd: "publish", topic: "t", payload: Buffer.from(`m${n}`), qos: 1, messageId: n });
    assert.equal(publisher.take().filter((packet) => packet.cmd === "puback").length, 6, "2 in flight + 4 queued");
    assert.equal(publisher.send({ cmd: "publish", topic: "t", payload: Buffer.from("m7"), qos: 1, messageId: 7 }), 0, "the 7th is not taken");
    assert.equal(publisher.blocked(), INPUT.subscriberFull);
    assert.deepEqual(publisher.take(), [], "nor acknowledged");
    const inFlight = publishes(subscriber);
    subscriber.send({ cmd: "puback", messageId: inFlight[0].messageId }); // progress: one place frees
    assert.ok(publisher.retry() > 0, "taken once the subscriber moved");
    assert.equal(publisher.take().filter((packet) => packet.cmd === "puback").length, 1);
    // Now the subscriber stops acknowledging altogether.
    publisher.send({ cmd: "publish", topic: "t", payload: Buffer.from("m8"), qos: 1, messageId: 8 });
    assert.equal(publisher.blocked(), INPUT.subscriberFull);
    script.advance(2000);
    publisher.retry();
    assert.equal(publisher.blocked(), INPUT.subscriberFull, "still waiting within queueWaitMs");
    script.advance(1500);
    assert.ok(publisher.retry() > 0, "after queueWaitMs without progress the publisher goes on");
    assert.equal(script.counter("dropQueueFull"), 1, "and the subscriber's copy is dropped, counted");
  });

  test(`${build}: waits never form a cycle: a publisher is never held by its own session or by a waiting publisher`, () => {
    const script = new BrokerScript(build, { queueCountMax: 2, inflightCountMax: 1 });
    const self = script.client(5);
    self.connect({ clientId: "self" });
    self.send({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic: "loop", qos: 1 }] });
    for (let n = 1; n <= 5; n++) assert.ok(self.send({ cmd: "publish", topic: "loop", payload: Buffer.from("x"), qos: 1, messageId: 10 + n }) > 0);
    assert.equal(self.blocked(), INPUT.flowing);
    assert.ok(script.counter("dropQueueFull") >= 2, "its own overflow is dropped, counted");
  });

  test(`${build}: a congested connection (the host holds its output bound) loses QoS 0 copies, counted; QoS 1 waits in its queue`, () => {
    const script = new BrokerScript(build);
    const subscriber = script.client(5);
    subscriber.connect({ clientId: "sub" });
    subscriber.send({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic: "t", qos: 1 }] });
    subscriber.take();
    script.api.brokerDriverCongested(subscriber.slot, 1);
    const publisher = script.client(5);
    publisher.connect({ clientId: "pub" });
    publisher.send({ cmd: "publish", topic: "t", payload: Buffer.from("zero"), qos: 0 });
    publisher.send({ cmd: "publish", topic: "t", payload: Buffer.from("one"), qos: 1, messageId: 1 });
    assert.equal(script.counter("dropCongested"), 1);
    script.api.brokerDriverCongested(subscriber.slot, 0);
    script.deliver();
    assert.deepEqual(publishes(subscriber).map((packet) => String(packet.payload)), ["one"]);
  });

  test(`${build}: at takeover the old connection's will is published once, as its own user, and the old socket closed with 0x8E`, () => {
    const script = withAcl(new BrokerScript(build));
    const watcher = script.client(5);
    watcher.connect({ clientId: "watcher", username: "a" });
    watcher.send({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic: "a/#", qos: 0 }] });
    watcher.take();
    const first = script.client(5);
    first.connect({ clientId: "dev", username: "a", will: will("a/dev") });
    const second = script.client(5);
    assert.equal(second.connect({ clientId: "dev", username: "a" }).reasonCode, 0);
    assert.equal(first.closedBy, 0x8e);
    script.deliver();
    assert.deepEqual(publishes(watcher).map((packet) => packet.topic), ["a/dev"]);
  });
}

/** The fields of `object` named in `like`. */
function pick(object, like) {
  return Object.fromEntries(Object.keys(like).map((key) => [key, object?.[key]]));
}
