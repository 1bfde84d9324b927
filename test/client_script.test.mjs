// The client core against scripted bytes and a scripted clock, in both builds (the WASM module
// and the Espruino bundle): each scenario is an exchange from the spec, written with mqtt-packet
// and checked byte-for-field on what the client sends back. No sockets.
import { test } from "node:test";
import assert from "node:assert/strict";
import { EVENT, HANDLE, OPTION, POLICY } from "../tools/client/core.mjs";
import { Script } from "./support/client_script.mjs";

const ERR_QUEUE_FULL = -43;
const ERR_TOPIC_NAME = -30;
const DROP_QUEUE_FULL = 1;
const DROP_REPLACED = 2;
const DROP_EXPIRED = 3;
const DROP_TOO_LARGE = 4;

for (const build of ["wasm", "js"]) {
  test(`${build}: CONNECT carries the options; CONNACK connects`, () => {
    const s = new Script(build, { version: 5, options: { clientId: "dev-1", keepAlive: 30, cleanStart: 0, sessionExpiry: 600, username: "u", password: "p", willTopic: "dev/1/status", willPayload: "offline", willQos: 1, willRetain: 1, willDelay: 5 } });
    const connect = s.connect();
    assert.equal(connect.cmd, "connect");
    assert.equal(connect.clientId, "dev-1");
    assert.equal(connect.keepalive, 30);
    assert.equal(connect.clean, false);
    assert.equal(connect.username, "u");
    assert.equal(connect.password.toString(), "p");
    assert.deepEqual([connect.will.topic, connect.will.payload.toString(), connect.will.qos, connect.will.retain], ["dev/1/status", "offline", 1, true]);
    assert.equal(connect.will.properties.willDelayInterval, 5);
    assert.equal(connect.properties.sessionExpiryInterval, 600);
    assert.equal(connect.properties.receiveMaximum, 8);
    assert.equal(connect.properties.maximumPacketSize, 4096);
    assert.equal(connect.properties.topicAliasMaximum, 4);
    assert.deepEqual(s.kinds(s.events), [EVENT.open, EVENT.connected]);
    assert.equal(s.api.state(), 4);
  });

  test(`${build}: QoS 1 and QoS 2 publishes complete by their acks; handles say so`, () => {
    const s = new Script(build);
    s.connect();
    const one = s.publish("a/b", "one", { qos: 1 });
    const two = s.publish("a/b", "two", { qos: 2, retain: true });
    assert.ok(one > 0 && two > one);
    const [p1, p2] = s.output();
    assert.deepEqual([p1.cmd, p1.qos, p1.dup, p1.payload.toString()], ["publish", 1, false, "one"]);
    assert.deepEqual([p2.qos, p2.retain, p2.payload.toString()], [2, true, "two"]);
    assert.notEqual(p1.messageId, p2.messageId);
    assert.equal(s.api.status(one), HANDLE.pending);
    s.input({ cmd: "puback", messageId: p1.messageId });
    assert.equal(s.api.status(one), HANDLE.done);
    s.input({ cmd: "pubrec", messageId: p2.messageId });
    const [pubrel] = s.output();
    assert.deepEqual([pubrel.cmd, pubrel.messageId], ["pubrel", p2.messageId]);
    assert.equal(s.api.status(two), HANDLE.pending);
    s.input({ cmd: "pubcomp", messageId: p2.messageId });
    assert.equal(s.api.status(two), HANDLE.done);
    assert.deepEqual(s.events.filter((e) => e.kind === EVENT.published).map((e) => e.handle), [one, two]);
  });

  test(`${build}: the in-flight window follows the server's Receive Maximum`, () => {
    const s = new Script(build, { version: 5 });
    s.connect({ properties: { receiveMaximum: 2 } });
    for (let i = 0; i < 5; i++) s.publish("w", `m${i}`, { qos: 1 });
    const first = s.output();
    assert.equal(first.length, 2, "two in flight at most");
    s.input({ cmd: "puback", messageId: first[0].messageId });
    const next = s.output();
    assert.deepEqual(next.map((p) => p.payload.toString()), ["m2"]);
  });

  test(`${build}: a resumed session resends PUBLISH with DUP and PUBREL, in order`, () => {
    const s = new Script(build, { options: { cleanStart: 0, clientId: "r" } });
    s.connect();
    s.publish("q", "one", { qos: 1 });
    s.publish("q", "two", { qos: 2 });
    const [p1, p2] = s.output();
    s.input({ cmd: "pubrec", messageId: p2.messageId });
    s.output(); // the PUBREL, lost with the connection
    const again = s.reconnect({ sessionPresent: true });
    assert.deepEqual(again.map((p) => [p.cmd, p.messageId, p.cmd === "publish" ? p.dup : null]), [
      ["connect", undefined, null], ["publish", p1.messageId, true], ["pubrel", p2.messageId, null],
    ]);
  });

  test(`${build}: a lost session restarts unacknowledged messages without DUP; PUBREC'd ones are done`, () => {
    const s = new Script(build, { options: { cleanStart: 0, clientId: "r" } });
    s.connect();
    const one = s.publish("q", "one", { qos: 1 });
    const two = s.publish("q", "two", { qos: 2 });
    const [, p2] = s.output();
    s.input({ cmd: "pubrec", messageId: p2.messageId });
    s.output();
    const again = s.reconnect({ sessionPresent: false });
    assert.deepEqual(again.map((p) => [p.cmd, p.cmd === "publish" ? p.payload.toString() : null, p.cmd === "publish" ? p.dup : null]), [["connect", null, null], ["publish", "one", false]]);
    assert.equal(s.api.status(two), HANDLE.done);
    assert.equal(s.api.status(one), HANDLE.pending);
  });

  test(`${build}: an incoming QoS 2 message is delivered once, even when sent again before PUBREL and across a resumed session`, () => {
    const s = new Script(build, { options: { cleanStart: 0, clientId: "in" } });
    s.connect();
    const publish = { cmd: "publish", topic: "in/t", payload: "once", qos: 2, messageId: 7 };
    s.input(publish);
    assert.deepEqual(s.output().map((p) => [p.cmd, p.messageId]), [["pubrec", 7]]);
    s.input({ ...publish, dup: true });
    assert.deepEqual(s.output().map((p) => [p.cmd, p.messageId]), [["pubrec", 7]]);
    s.reconnect({ sessionPresent: true });
    s.input({ ...publish, dup: true });
    assert.deepEqual(s.output().map((p) => p.cmd), ["pubrec"]);
    s.input({ cmd: "pubrel", messageId: 7 });
    assert.deepEqual(s.output().map((p) => [p.cmd, p.messageId]), [["pubcomp", 7]]);
    assert.equal(s.messages.length, 1, "delivered exactly once");
    assert.equal(s.api.counter(9), 2, "two duplicates answered without delivery");
    s.input(publish); // the id is free again: a new message
    assert.equal(s.messages.length, 2);
  });

  test(`${build}: keepalive sends PINGREQ when idle and closes when no PINGRESP comes`, () => {
    const s = new Script(build, { options: { keepAlive: 2, reconnectMinMs: 1000, reconnectMaxMs: 8000 } });
    s.connect();
    s.tick(1999);
    assert.deepEqual(s.output(), []);
    s.tick(1);
    assert.deepEqual(s.output().map((p) => p.cmd), ["pingreq"]);
    s.input({ cmd: "pingresp" });
    s.tick(2000);
    assert.deepEqual(s.output().map((p) => p.cmd), ["pingreq"]);
    assert.deepEqual(s.kinds(s.tick(999)), []);
    assert.deepEqual(s.kinds(s.tick(1)), [EVENT.close], "no PINGRESP within half the keepalive");
    s.api.closed(s.now);
    assert.deepEqual(s.kinds(s.take()), [EVENT.disconnected]);
    const retry = s.api.pollAtMs(s.now) - s.now;
    assert.ok(retry >= 500 && retry <= 1000, `first retry in [min/2, min]: ${retry}`);
    assert.equal(s.api.counter(14), 1);
  });

  test(`${build}: reconnect backoff doubles up to its cap, with jitter`, () => {
    const s = new Script(build, { options: { reconnectMinMs: 100, reconnectMaxMs: 1600 } });
    s.api.start(s.now);
    const delays = [];
    for (let i = 0; i < 8; i++) {
      s.tick();
      assert.equal(s.api.state(), 2, "asked to open");
      s.api.closed(s.now); // the connection attempt failed
      delays.push(s.api.pollAtMs(s.now) - s.now);
      s.tick(delays.at(-1));
    }
    const caps = [100, 200, 400, 800, 1600, 1600, 1600, 1600];
    delays.forEach((delay, i) => assert.ok(delay >= caps[i] / 2 && delay <= caps[i], `attempt ${i}: ${delay} in [${caps[i] / 2}, ${caps[i]}]`));
    assert.ok(new Set(delays.slice(4)).size > 1, "jitter");
  });

  test(`${build}: a full outbox applies the queue policy, and says so`, () => {
    const limits = { packetSizeMax: 512, propertyCountMax: 8, topicFilterCountMax: 2, filterSizeMax: 32, inflightCountMax: 2, incomingCountMax: 2, topicAliasCountMax: 0, outgoingCountMax: 3, storeBytesMax: 1024, clientSubscriptionCountMax: 2 };
    const s = new Script(build, { limits });
    const kept = [1, 2, 3].map((i) => s.publish("k", `${i}`, { qos: 1 }));
    assert.ok(kept.every((h) => h > 0));
    assert.equal(s.publish("k", "4", { qos: 1, policy: POLICY.keepAll }), ERR_QUEUE_FULL);
    assert.equal(s.api.counter(6), 1);
    const newest = s.publish("k", "4", { qos: 1, policy: POLICY.dropOldest });
    assert.ok(newest > 0);
    assert.equal(s.api.status(kept[0]), HANDLE.dropped);
    s.take();
    assert.deepEqual(s.events.filter((e) => e.kind === EVENT.dropped).map((e) => [e.handle, e.reason]), [[kept[0], DROP_QUEUE_FULL]]);
    const other = s.publish("other", "x", { qos: 1, policy: POLICY.latest }); // full: the oldest gives way
    const latest = s.publish("other", "y", { qos: 1, policy: POLICY.latest }); // replaces "x"
    assert.equal(s.api.status(other), HANDLE.dropped);
    s.take();
    assert.deepEqual(s.events.filter((e) => e.handle === other).map((e) => [e.kind, e.reason]), [[EVENT.dropped, DROP_REPLACED]]);
    s.connect();
    const sent = s.output(); // the window (inflightCountMax 2) takes the two oldest: k:3, k:4
    assert.deepEqual(sent.map((p) => `${p.topic}:${p.payload}`), ["k:3", "k:4"]);
    s.input({ cmd: "puback", messageId: sent[0].messageId });
    assert.deepEqual(s.output().map((p) => `${p.topic}:${p.payload}`), ["other:y"]);
    assert.equal(s.api.status(latest), HANDLE.pending);
    assert.equal(s.api.counter(5), 3, "three dropped by policy, all counted");
  });

  test(`${build}: bad topics are refused at publish time`, () => {
    const s = new Script(build);
    assert.equal(s.publish("a/+", "x"), ERR_TOPIC_NAME);
    assert.equal(s.publish("", "x"), ERR_TOPIC_NAME);
  });

  test(`${build}: MQTT 5 topic aliases both ways`, () => {
    const s = new Script(build, { version: 5 });
    s.connect({ properties: { topicAliasMaximum: 2 } });
    s.publish("sensor/temperature", "20", { qos: 0 });
    s.publish("sensor/temperature", "21", { qos: 0 });
    const [first, second] = s.output();
    assert.equal(first.topic, "sensor/temperature");
    assert.equal(first.properties.topicAlias, 1);
    assert.equal(second.topic, "");
    assert.equal(second.properties.topicAlias, 1);
    s.input({ cmd: "publish", topic: "cmd/led", payload: "on", qos: 0, properties: { topicAlias: 3 } });
    s.input({ cmd: "publish", topic: "", payload: "off", qos: 0, properties: { topicAlias: 3 } });
    assert.deepEqual(s.messages.map((m) => `${m.topic}:${m.payload}`), ["cmd/led:on", "cmd/led:off"]);
    s.input({ cmd: "publish", topic: "x", payload: "", qos: 0, properties: { topicAlias: 5 } }); // above the 4 we announced
    assert.deepEqual(s.output().map((p) => [p.cmd, p.reasonCode]), [["disconnect", 0x94]]);
  });

  test(`${build}: the server's Maximum Packet Size and Message Expiry drop what cannot be sent`, () => {
    const s = new Script(build, { version: 5 });
    const big = s.publish("big", "x".repeat(200), { qos: 1 });
    const expiry = Buffer.from([5, 0x02, 0, 0, 0, 1]); // Message Expiry Interval 1 s
    const stale = s.publish("stale", "old", { qos: 1, properties: expiry });
    s.now += 1500;
    s.connect({ properties: { maximumPacketSize: 128 } });
    assert.deepEqual(s.output(), []);
    assert.equal(s.api.status(big), HANDLE.dropped);
    assert.equal(s.api.status(stale), HANDLE.dropped);
    const reasons = new Map(s.events.filter((e) => e.kind === EVENT.dropped).map((e) => [e.handle, e.reason]));
    assert.equal(reasons.get(big), DROP_TOO_LARGE);
    assert.equal(reasons.get(stale), DROP_EXPIRED);
  });

  test(`${build}: Message Expiry of 24 days, 49 days and 0xFFFFFFFF counts across the i32 clock's wrap: what is left is sent, what ran out is dropped`, () => {
    const DAY_MS = 86400000;
    for (const [seconds, waitDays] of [[24 * 86400, 23], [24 * 86400, 25], [49 * 86400, 48], [49 * 86400, 50], [0xffffffff, 60]]) {
      const s = new Script(build, { version: 5 });
      const expiry = Buffer.alloc(6);
      expiry[0] = 5;
      expiry[1] = 0x02; // Message Expiry Interval
      expiry.writeUInt32BE(seconds, 2);
      const handle = s.publish("t", "x", { qos: 1, properties: expiry });
      for (let day = 0; day < waitDays; day++) s.tick(DAY_MS); // the host calls the core at least once a day
      s.connect();
      const sent = s.output().filter((p) => p.cmd === "publish");
      const left = seconds - waitDays * 86400;
      if (left > 0) {
        assert.equal(sent.length, 1, `${seconds} s after ${waitDays} days: sent`);
        const carried = sent[0].properties.messageExpiryInterval;
        assert.ok(carried >= left - 1 && carried <= left, `${seconds} s after ${waitDays} days: ${carried} s left, not ${left}`);
      } else {
        assert.deepEqual(sent, [], `${seconds} s after ${waitDays} days: expired`);
        assert.equal(s.api.status(handle), HANDLE.dropped);
      }
    }
  });

  test(`${build}: subscriptions are acknowledged, and made again when the session is lost`, () => {
    const s = new Script(build, { version: 5 });
    s.connect();
    const handle = s.subscribe("cmd/#", 1 | 4);
    const [subscribe] = s.output();
    assert.deepEqual([subscribe.cmd, subscribe.subscriptions[0].topic, subscribe.subscriptions[0].qos, subscribe.subscriptions[0].nl], ["subscribe", "cmd/#", 1, true]);
    s.input({ cmd: "suback", messageId: subscribe.messageId, granted: [1] });
    assert.equal(s.api.status(handle), HANDLE.done);
    const again = s.reconnect({ sessionPresent: false });
    assert.deepEqual(again.map((p) => p.cmd), ["connect", "subscribe"]);
    s.input({ cmd: "suback", messageId: again[1].messageId, granted: [1] });
    const resumed = s.reconnect({ sessionPresent: true });
    assert.deepEqual(resumed.map((p) => p.cmd), ["connect"], "the server kept it");
  });

  test(`${build}: refusals and malformed packets close the link with the reason`, () => {
    const refused = new Script(build);
    refused.api.start(refused.now);
    refused.tick();
    refused.api.opened(refused.now);
    refused.output();
    refused.input({ cmd: "connack", returnCode: 5 });
    assert.deepEqual(refused.events.slice(-2).map((e) => [e.kind, e.reason]), [[EVENT.refused, 5], [EVENT.close, 5]]);

    const s = new Script(build, { version: 5 });
    s.connect();
    s.inputBytes(Uint8Array.from([0x40, 0x02, 0x00, 0x00])); // PUBACK with packet id 0
    assert.deepEqual(s.output().map((p) => [p.cmd, p.reasonCode]), [["disconnect", 0x82]]);
    assert.equal(s.events.at(-1).kind, EVENT.close);
    assert.equal(s.api.counter(10), 1);
  });
}

for (const build of ["wasm", "js"]) {
  test(`${build}: PUBCOMP 0x92 after a resent PUBREL finishes the flow as done (MQTT 5 §3.7.2.1)`, () => {
    const s = new Script(build, { version: 5, options: { cleanStart: 0, sessionExpiry: 60 } });
    s.connect();
    const handle = s.publish("t", "m", { qos: 2 });
    const [publish] = s.output();
    s.input({ cmd: "pubrec", messageId: publish.messageId, reasonCode: 0 });
    s.output(); // the PUBREL, lost with the connection
    s.reconnect({ sessionPresent: true }); // the PUBREL again
    s.input({ cmd: "pubcomp", messageId: publish.messageId, reasonCode: 0x92 });
    assert.equal(s.api.status(handle), HANDLE.done);
  });
}

for (const build of ["wasm", "js"]) {
  test(`${build}: packets only a client sends are the server's Protocol Error (MQTT 5 §4.13)`, () => {
    for (const bytes of [[0xc0, 0x00], [0x82, 0x06, 0x00, 0x01, 0x00, 0x01, 0x61, 0x00]]) { // PINGREQ; SUBSCRIBE "a"
      const s = new Script(build, { version: 5 });
      s.connect();
      s.inputBytes(Uint8Array.from(bytes));
      assert.deepEqual(s.output().map((p) => [p.cmd, p.reasonCode]), [["disconnect", 0x82]]);
      assert.equal(s.events.at(-1).kind, EVENT.close);
    }
  });
}

for (const build of ["wasm", "js"]) {
  test(`${build}: a server over our QoS 2 receive room (mosquitto 2.0.11 bursts) costs the oldest identifiers, not the connection`, () => {
    const s = new Script(build, { version: 5 }); // SCRIPT_LIMITS: room for 8 identifiers awaiting PUBREL
    s.connect();
    for (let id = 1; id <= 10; id++) s.input({ cmd: "publish", topic: "burst", payload: String(id), qos: 2, messageId: id });
    assert.equal(s.messages.length, 10, "every message delivered");
    assert.equal(s.output().filter((p) => p.cmd === "pubrec").length, 10);
    assert.equal(s.api.state(), 4, "still connected");
    assert.equal(s.api.counter(15), 2, "two identifiers forgotten, counted");
    s.input({ cmd: "publish", topic: "burst", payload: "10", qos: 2, messageId: 10, dup: true });
    assert.equal(s.messages.length, 10, "a remembered identifier still suppresses its duplicate");
  });
}

for (const build of ["wasm", "js"]) {
  test(`${build}: a publish without a policy follows the queuePolicy option`, () => {
    const s = new Script(build, { options: { queuePolicy: POLICY.latest } });
    const first = s.publish("room/t", "20", { qos: 1, policy: -1 });
    const second = s.publish("room/t", "21", { qos: 1, policy: -1 });
    assert.equal(s.api.status(first), HANDLE.dropped, "replaced by the newer reading");
    assert.equal(s.api.status(second), HANDLE.pending);
  });
}
