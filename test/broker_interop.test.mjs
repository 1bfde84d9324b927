// Goal: the gateway behaves as the MQTT spec says with real clients, and where a check can be
// pointed at any broker it is run against Debian's mosquitto too, so the two are compared.
// Method: each broker is started here on 127.0.0.1 and a free port; the clients are Debian's
// mosquitto_pub/mosquitto_sub (3.1, 3.1.1, 5.0), MQTT.js and raw sockets for what no client
// library will send. Every wait is bounded.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import mqtt from "mqtt";
import mqttPacket from "mqtt-packet";
import { run, start, sleep, startMosquitto, startWrenmq, until } from "./support/brokers.mjs";

const connectAsync = (port, options = {}) =>
  mqtt.connectAsync({ host: "127.0.0.1", port, reconnectPeriod: 0, connectTimeout: 3000, ...options });

/** Collects messages of an MQTT.js client. */
function inbox(client) {
  const messages = [];
  client.on("message", (topic, payload, packet) => messages.push({ topic, payload: payload.toString(), packet }));
  return messages;
}

/** A raw TCP client: send packets by object, read packets back with mqtt-packet. */
async function rawClient(port, version = 4) {
  const socket = net.connect(port, "127.0.0.1");
  await new Promise((resolve, reject) => { socket.once("connect", resolve); socket.once("error", reject); });
  const parser = mqttPacket.parser({ protocolVersion: version });
  const packets = [];
  let closed = false;
  parser.on("packet", (packet) => packets.push(packet));
  socket.on("data", (data) => parser.parse(data));
  socket.on("close", () => { closed = true; });
  socket.on("error", () => {});
  return {
    socket,
    packets,
    isClosed: () => closed,
    send: (packet) => socket.write(mqttPacket.generate(packet, { protocolVersion: version })),
    sendBytes: (bytes) => socket.write(Buffer.from(bytes)),
  };
}

const connectPacket = (clientId, extra = {}) => ({ cmd: "connect", protocolId: "MQTT", protocolVersion: 4, clean: true, keepalive: 0, clientId, ...extra });

for (const startBroker of [startWrenmq, startMosquitto]) {
  describe(`spec checks against ${startBroker === startWrenmq ? "wrenmq" : "mosquitto"}`, () => {
    let broker;
    before(async () => { broker = await startBroker(); });
    after(async () => { await broker.stop(); });

    for (const [flag, version] of [["mqttv31", 3], ["mqttv311", 4], ["mqttv5", 5]]) {
      test(`mosquitto_pub to mosquitto_sub at QoS 0, 1 and 2 (${flag})`, async () => {
        const topic = `it/${flag}`;
        const sub = start("mosquitto_sub", ["-p", String(broker.port), "-V", flag, "-t", `${topic}/#`, "-q", "2", "-v", "-C", "3", "-i", `sub-${flag}`]);
        await sleep(300);
        for (const qos of [0, 1, 2]) {
          const pub = await run("mosquitto_pub", ["-p", String(broker.port), "-V", flag, "-t", `${topic}/q${qos}`, "-m", `m${qos}`, "-q", String(qos), "-i", `pub-${flag}-${qos}`]);
          assert.equal(pub.code, 0, pub.stderr);
        }
        const result = await sub.done;
        assert.deepEqual(result.stdout.trim().split("\n").sort(), [`${topic}/q0 m0`, `${topic}/q1 m1`, `${topic}/q2 m2`], `version ${version}`);
      });
    }

    test("retained messages: set, replace, deliver on subscribe with the retain flag, clear with an empty payload", async () => {
      const publisher = await connectAsync(broker.port, { clientId: "ret-pub" });
      await publisher.publishAsync("ret/a", "one", { qos: 1, retain: true });
      await publisher.publishAsync("ret/a", "two", { qos: 1, retain: true });
      const reader = await connectAsync(broker.port, { clientId: "ret-reader" });
      const messages = inbox(reader);
      await reader.subscribeAsync("ret/#", { qos: 1 });
      await until(() => messages.length === 1, 3000, "retained message");
      assert.equal(messages[0].payload, "two");
      assert.equal(messages[0].packet.retain, true, "MQTT-3.3.1-8: retained on subscribe carries retain");
      await publisher.publishAsync("ret/a", "live", { qos: 1, retain: true });
      await until(() => messages.length === 2, 3000, "live message");
      assert.equal(messages[1].packet.retain, false, "MQTT-3.3.1-9: a live message to an existing subscription has retain 0");
      await publisher.publishAsync("ret/a", "", { qos: 1, retain: true });
      const late = await connectAsync(broker.port, { clientId: "ret-late" });
      const lateMessages = inbox(late);
      await late.subscribeAsync("ret/#", { qos: 1 });
      await sleep(300);
      assert.deepEqual(lateMessages, [], "MQTT-3.3.1-6: an empty retained payload clears the topic");
      await Promise.all([publisher.endAsync(), reader.endAsync(), late.endAsync()]);
    });

    test("QoS 2 is delivered exactly once even when the publisher resends", async () => {
      const reader = await connectAsync(broker.port, { clientId: "q2-reader" });
      const messages = inbox(reader);
      await reader.subscribeAsync("q2/#", { qos: 2 });
      const raw = await rawClient(broker.port);
      raw.send(connectPacket("q2-raw"));
      await until(() => raw.packets.some((p) => p.cmd === "connack"), 3000, "CONNACK");
      const publish = { cmd: "publish", topic: "q2/x", payload: "once", qos: 2, messageId: 77, retain: false, dup: false };
      raw.send(publish);
      raw.send({ ...publish, dup: true }); // the resend of MQTT-4.3.3: same packet id before PUBREL
      await until(() => raw.packets.filter((p) => p.cmd === "pubrec").length === 2, 3000, "two PUBRECs");
      raw.send({ cmd: "pubrel", messageId: 77 });
      await until(() => raw.packets.some((p) => p.cmd === "pubcomp"), 3000, "PUBCOMP");
      await sleep(200);
      assert.equal(messages.filter((m) => m.payload === "once").length, 1);
      raw.socket.destroy();
      await reader.endAsync();
    });

    test("the will is published when a client vanishes, not when it disconnects", async () => {
      const watcher = await connectAsync(broker.port, { clientId: "will-watcher" });
      const messages = inbox(watcher);
      await watcher.subscribeAsync("will/#", { qos: 1 });
      const polite = await connectAsync(broker.port, { clientId: "will-polite", will: { topic: "will/polite", payload: "gone", qos: 1 } });
      await polite.endAsync();
      const rude = await connectAsync(broker.port, { clientId: "will-rude", will: { topic: "will/rude", payload: "lost", qos: 1 } });
      rude.stream.destroy();
      await until(() => messages.length >= 1, 3000, "will message");
      await sleep(200);
      assert.deepEqual(messages.map((m) => `${m.topic} ${m.payload}`), ["will/rude lost"]);
      rude.end(true);
      await watcher.endAsync();
    });

    test("a persistent session gets the QoS 1 messages published while it was away", async () => {
      const first = await connectAsync(broker.port, { clientId: "persist-1", clean: false });
      await first.subscribeAsync("persist/#", { qos: 1 });
      await first.endAsync();
      const publisher = await connectAsync(broker.port, { clientId: "persist-pub" });
      for (let i = 0; i < 5; i++) await publisher.publishAsync("persist/t", `n${i}`, { qos: 1 });
      await publisher.endAsync();
      const again = mqtt.connect({ host: "127.0.0.1", port: broker.port, clientId: "persist-1", clean: false, reconnectPeriod: 0 });
      const messages = inbox(again);
      const connack = await new Promise((resolve) => again.once("connect", resolve));
      assert.equal(connack.sessionPresent, true, "MQTT-3.2.2-2");
      await until(() => messages.length === 5, 3000, "queued messages");
      assert.deepEqual(messages.map((m) => m.payload), ["n0", "n1", "n2", "n3", "n4"]);
      await again.endAsync();
      const cleanup = await connectAsync(broker.port, { clientId: "persist-1", clean: true });
      await cleanup.endAsync();
    });

    test("MQTT 5 properties pass through: user properties, response topic, correlation data, content type", async () => {
      const reader = await connectAsync(broker.port, { clientId: "v5-reader", protocolVersion: 5 });
      const messages = inbox(reader);
      await reader.subscribeAsync("v5/#", { qos: 1, properties: { subscriptionIdentifier: 42 } });
      const writer = await connectAsync(broker.port, { clientId: "v5-writer", protocolVersion: 5 });
      await writer.publishAsync("v5/req", "ping", { qos: 1, properties: {
        userProperties: { unit: "celsius" }, responseTopic: "v5/reply", correlationData: Buffer.from("c-1"), contentType: "text/plain",
      } });
      await until(() => messages.length === 1, 3000, "v5 message");
      const properties = messages[0].packet.properties;
      assert.deepEqual({ ...properties.userProperties }, { unit: "celsius" });
      assert.equal(properties.responseTopic, "v5/reply");
      assert.equal(properties.correlationData.toString(), "c-1");
      assert.equal(properties.contentType, "text/plain");
      assert.deepEqual([].concat(properties.subscriptionIdentifier), [42]);
      await Promise.all([reader.endAsync(), writer.endAsync()]);
    });

    test("topic aliases from the client: set once, then used with an empty topic (MQTT 5 §3.3.2.3.4)", async () => {
      const reader = await connectAsync(broker.port, { clientId: "alias-reader", protocolVersion: 5 });
      const messages = inbox(reader);
      await reader.subscribeAsync("alias/#", { qos: 1 });
      const raw = await rawClient(broker.port, 5);
      raw.send({ ...connectPacket("alias-raw"), protocolVersion: 5 });
      await until(() => raw.packets.some((p) => p.cmd === "connack"), 3000, "CONNACK");
      assert.ok(raw.packets[0].properties?.topicAliasMaximum >= 1, "the broker announces a Topic Alias Maximum");
      raw.send({ cmd: "publish", topic: "alias/long/topic/name", payload: "first", qos: 1, messageId: 1, properties: { topicAlias: 1 } });
      raw.send({ cmd: "publish", topic: "", payload: "second", qos: 1, messageId: 2, properties: { topicAlias: 1 } });
      await until(() => messages.length === 2, 3000, "both messages");
      assert.deepEqual(messages.map((m) => `${m.topic} ${m.payload}`), ["alias/long/topic/name first", "alias/long/topic/name second"]);
      raw.send({ cmd: "publish", topic: "", payload: "x", qos: 0, properties: { topicAlias: 2 } }); // never set
      await until(raw.isClosed, 3000, "close for an unknown alias");
      assert.equal(raw.packets.find((p) => p.cmd === "disconnect")?.reasonCode, 0x82, "Protocol Error");
      await reader.endAsync();
    });

    test("a will with a delay waits, and a reconnect within the delay cancels it (MQTT-3.1.3-9)", async () => {
      const watcher = await connectAsync(broker.port, { clientId: "delay-watcher", protocolVersion: 5 });
      const messages = inbox(watcher);
      await watcher.subscribeAsync("delay/#", { qos: 1 });
      const will = (name) => ({ topic: `delay/${name}`, payload: name, qos: 1, properties: { willDelayInterval: 1 } });
      const session = { protocolVersion: 5, clean: false, properties: { sessionExpiryInterval: 30 } };
      const late = await connectAsync(broker.port, { clientId: "delay-late", will: will("late"), ...session });
      const back = await connectAsync(broker.port, { clientId: "delay-back", will: will("back"), ...session });
      const started = Date.now();
      late.stream.destroy();
      back.stream.destroy();
      await sleep(300);
      const again = await connectAsync(broker.port, { clientId: "delay-back", ...session });
      await until(() => messages.length >= 1, 5000, "the delayed will");
      assert.ok(Date.now() - started >= 900, "published after the delay, not at once");
      await sleep(1500);
      assert.deepEqual(messages.map((m) => m.payload), ["late"], "the reconnected client's will was cancelled");
      late.end(true);
      back.end(true);
      await Promise.all([watcher.endAsync(), again.endAsync()]);
    });

    test("No Local keeps a client's own messages from it (MQTT 5 §3.8.3.1)", async () => {
      const client = await connectAsync(broker.port, { clientId: "nolocal", protocolVersion: 5 });
      const messages = inbox(client);
      await client.subscribeAsync("nl/t", { qos: 1, nl: true });
      await client.publishAsync("nl/t", "mine", { qos: 1 });
      const other = await connectAsync(broker.port, { clientId: "nolocal-other", protocolVersion: 5 });
      await other.publishAsync("nl/t", "theirs", { qos: 1 });
      await until(() => messages.length === 1, 3000, "message from the other client");
      await sleep(200);
      assert.deepEqual(messages.map((m) => m.payload), ["theirs"]);
      await Promise.all([client.endAsync(), other.endAsync()]);
    });

    test("a malformed packet closes that connection only (MQTT 5 §4.13)", async () => {
      const bystander = await connectAsync(broker.port, { clientId: "bystander" });
      const messages = inbox(bystander);
      await bystander.subscribeAsync("bad/#", { qos: 0 });
      const raw = await rawClient(broker.port);
      raw.send(connectPacket("bad-raw"));
      await until(() => raw.packets.some((p) => p.cmd === "connack"), 3000, "CONNACK");
      raw.sendBytes([0x30, 0x05, 0x00, 0x03, 0x61, 0x2b, 0x62]); // PUBLISH to "a+b": a wildcard in a topic name
      await until(raw.isClosed, 3000, "the offender's connection to close");
      const publisher = await connectAsync(broker.port, { clientId: "bad-pub" });
      await publisher.publishAsync("bad/ok", "still here", { qos: 1 });
      await until(() => messages.length === 1, 3000, "the bystander's message");
      await Promise.all([bystander.endAsync(), publisher.endAsync()]);
    });

    test("a second CONNECT is a protocol violation that closes the connection (MQTT-3.1.0-2)", async () => {
      const raw = await rawClient(broker.port);
      raw.send(connectPacket("twice"));
      await until(() => raw.packets.some((p) => p.cmd === "connack"), 3000, "CONNACK");
      raw.send(connectPacket("twice"));
      await until(raw.isClosed, 3000, "close");
    });

    test("a connection that sends nothing but CONNECT with Keep Alive 1 is closed after 1.5 s (MQTT-3.1.2-24)", async () => {
      const raw = await rawClient(broker.port);
      const started = Date.now();
      raw.send(connectPacket("sleepy", { keepalive: 1 }));
      await until(raw.isClosed, 8000, "keepalive close"); // mosquitto 2.0 checks keepalives on a coarse timer: seen 2.9–4 s
      const elapsed = Date.now() - started;
      assert.ok(elapsed >= 1400, `closed after ${elapsed} ms, before 1.5 × Keep Alive`);
    });

    test("an unsupported protocol level gets CONNACK return code 1 (MQTT-3.1.2-2)", async () => {
      const raw = await rawClient(broker.port);
      raw.sendBytes([0x10, 0x0d, 0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x06, 0x02, 0x00, 0x00, 0x00, 0x01, 0x78]);
      await until(() => raw.packets.some((p) => p.cmd === "connack") || raw.isClosed(), 3000, "an answer");
      const connack = raw.packets.find((p) => p.cmd === "connack");
      assert.equal(connack?.returnCode, 1);
      await until(raw.isClosed, 3000, "close");
    });
  });
}

describe("wrenmq topic aliases towards the client", () => {
  test("a client that allows aliases gets each topic once, then an empty topic with its alias (MQTT 5 §3.3.2.3.4)", async () => {
    const broker = await startWrenmq();
    try {
      const raw = await rawClient(broker.port, 5);
      raw.send({ ...connectPacket("alias-out"), protocolVersion: 5, properties: { topicAliasMaximum: 2 } });
      raw.send({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic: "out/#", qos: 0 }] });
      await until(() => raw.packets.some((p) => p.cmd === "suback"), 3000, "SUBACK");
      const publisher = await connectAsync(broker.port, { clientId: "alias-out-pub" });
      for (const topic of ["out/x", "out/x", "out/y", "out/z", "out/y"]) await publisher.publishAsync(topic, topic, { qos: 1 });
      await until(() => raw.packets.filter((p) => p.cmd === "publish").length === 5, 3000, "five deliveries");
      const seen = raw.packets.filter((p) => p.cmd === "publish").map((p) => `${p.topic}|${p.properties?.topicAlias}|${p.payload}`);
      // x gets alias 1, y alias 2, z reuses alias 1 (the oldest), so y still stands on 2.
      assert.deepEqual(seen, ["out/x|1|out/x", "|1|out/x", "out/y|2|out/y", "out/z|1|out/z", "|2|out/y"]);
      raw.socket.destroy();
      await publisher.endAsync();
    } finally {
      await broker.stop();
    }
  });
});

describe("wrenmq $SYS", () => {
  test("$SYS reports clients, messages and table use every sys_interval; '#' does not see it (MQTT-4.7.2-1)", async () => {
    const broker = await startWrenmq({ sysIntervalSeconds: 1 });
    try {
      const everything = await connectAsync(broker.port, { clientId: "hash" });
      const hashSeen = inbox(everything);
      await everything.subscribeAsync("#", { qos: 0 });
      const sys = await connectAsync(broker.port, { clientId: "sys" });
      const seen = new Map();
      sys.on("message", (topic, payload) => seen.set(topic, payload.toString()));
      await sys.subscribeAsync("$SYS/#", { qos: 0 });
      await everything.publishAsync("plain/t", "x", { qos: 1 });
      await until(() => seen.get("$SYS/broker/clients/connected") === "2", 4000, "clients/connected 2");
      await until(() => Number(seen.get("$SYS/broker/messages/received")) >= 1, 4000, "messages/received");
      assert.equal(seen.get("$SYS/broker/tables/connections/size"), String(64 + 16 + 4), "connections, pre-CONNECT room, refusal slots");
      assert.ok(Number(seen.get("$SYS/broker/tables/subscriptions/used")) >= 2);
      assert.match(seen.get("$SYS/broker/uptime"), /^\d+ seconds$/);
      assert.deepEqual(hashSeen.map((m) => m.topic), ["plain/t"], "# matched only the non-$ topic");
      await Promise.all([everything.endAsync(), sys.endAsync()]);
    } finally {
      await broker.stop();
    }
  });
});

describe("wrenmq limits", () => {
  test("over max connections, the CONNACK says Quota exceeded (5.0) / Server unavailable (3.1.1)", async () => {
    const broker = await startWrenmq({ connectionCountMax: 2 });
    try {
      const a = await connectAsync(broker.port, { clientId: "a" });
      const b = await connectAsync(broker.port, { clientId: "b" });
      const v4 = await rawClient(broker.port);
      v4.send(connectPacket("c"));
      await until(() => v4.packets.some((p) => p.cmd === "connack"), 3000, "CONNACK 3.1.1");
      assert.equal(v4.packets[0].returnCode, 3);
      const v5 = await rawClient(broker.port, 5);
      v5.send({ ...connectPacket("d"), protocolVersion: 5 });
      await until(() => v5.packets.some((p) => p.cmd === "connack"), 3000, "CONNACK 5.0");
      assert.equal(v5.packets[0].reasonCode, 0x97);
      await Promise.all([a.endAsync(), b.endAsync()]);
      assert.ok(broker.host.counters().refusedConnections >= 2);
    } finally {
      await broker.stop();
    }
  });

  test("bad input from a 5.0 client gets the spec's reason in DISCONNECT (MQTT 5 §4.13)", async () => {
    const broker = await startWrenmq();
    try {
      const cases = [
        ["a wildcard in a topic name", [0x30, 0x06, 0x00, 0x03, 0x61, 0x2b, 0x62, 0x00], 0x90], // MQTT-3.3.2-2
        ["PUBREL with flags 0000", [0x60, 0x02, 0x00, 0x01], 0x81], // MQTT-3.6.1-1
        ["a Remaining Length of five bytes", [0x30, 0xff, 0xff, 0xff, 0xff, 0x01], 0x81], // MQTT-1.5.5
        ["QoS 3", [0x36, 0x05, 0x00, 0x01, 0x61, 0x00, 0x01], 0x81], // MQTT-3.3.1-4
        ["Message Expiry Interval twice", [0x30, 0x0e, 0x00, 0x01, 0x61, 0x0a, 0x02, 0, 0, 0, 1, 0x02, 0, 0, 0, 2], 0x82], // §2.2.2.2
      ];
      for (const [what, bytes, reason] of cases) {
        const raw = await rawClient(broker.port, 5);
        raw.send({ ...connectPacket(`bad5-${reason}-${bytes.length}`), protocolVersion: 5 });
        await until(() => raw.packets.some((p) => p.cmd === "connack"), 3000, "CONNACK");
        raw.sendBytes(bytes);
        await until(raw.isClosed, 3000, `close after ${what}`);
        assert.equal(raw.packets.find((p) => p.cmd === "disconnect")?.reasonCode, reason, what);
      }
    } finally {
      await broker.stop();
    }
  });

  test("a connection that never sends CONNECT is closed after the connect timeout", async () => {
    const broker = await startWrenmq({ connectTimeoutMs: 500 });
    try {
      const raw = await rawClient(broker.port);
      const started = Date.now();
      await until(raw.isClosed, 3000, "the silent connection to close");
      assert.ok(Date.now() - started >= 450, "not before the timeout");
    } finally {
      await broker.stop();
    }
  });

  test("a full topic table answers SUBACK 0x97 (5.0) / 0x80 (3.1.1) for the filters that do not fit", async () => {
    const broker = await startWrenmq({ subscriptionCountMax: 2 });
    try {
      const v5 = await rawClient(broker.port, 5);
      v5.send({ ...connectPacket("full5"), protocolVersion: 5 });
      v5.send({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic: "a", qos: 1 }, { topic: "b", qos: 2 }, { topic: "c", qos: 0 }] });
      await until(() => v5.packets.some((p) => p.cmd === "suback"), 3000, "SUBACK 5.0");
      assert.deepEqual(v5.packets.find((p) => p.cmd === "suback").granted, [1, 2, 0x97]);
      const v4 = await rawClient(broker.port);
      v4.send(connectPacket("full4"));
      v4.send({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic: "d", qos: 1 }] });
      await until(() => v4.packets.some((p) => p.cmd === "suback"), 3000, "SUBACK 3.1.1");
      assert.deepEqual(v4.packets.find((p) => p.cmd === "suback").granted, [0x80]);
      v5.socket.destroy();
      v4.socket.destroy();
    } finally {
      await broker.stop();
    }
  });

  test("a packet over the maximum packet size is refused with 0x95 and closes the connection", async () => {
    const broker = await startWrenmq({ packetSizeMax: 1024 });
    try {
      const client = await connectAsync(broker.port, { clientId: "big", protocolVersion: 5 });
      const disconnect = new Promise((resolve) => client.once("disconnect", resolve));
      client.publish("big/t", Buffer.alloc(2000, 1), { qos: 0 });
      const packet = await disconnect;
      assert.equal(packet.reasonCode, 0x95);
      client.end(true);
    } finally {
      await broker.stop();
    }
  });

  test("a subscriber's full queue drops deliveries and counts them; nothing else is disturbed", async () => {
    const broker = await startWrenmq({ queueCountMax: 5 });
    try {
      const away = await connectAsync(broker.port, { clientId: "away", clean: false });
      await away.subscribeAsync("q/#", { qos: 1 });
      await away.endAsync();
      const publisher = await connectAsync(broker.port, { clientId: "q-pub" });
      for (let i = 0; i < 8; i++) await publisher.publishAsync("q/t", `n${i}`, { qos: 1 });
      await publisher.endAsync();
      assert.equal(broker.host.counters().dropQueueFull, 3);
      const back = mqtt.connect({ host: "127.0.0.1", port: broker.port, clientId: "away", clean: false, reconnectPeriod: 0 });
      const messages = inbox(back);
      await until(() => messages.length === 5, 3000, "the five queued messages");
      assert.deepEqual(messages.map((m) => m.payload), ["n0", "n1", "n2", "n3", "n4"]);
      await back.endAsync();
    } finally {
      await broker.stop();
    }
  });
});
