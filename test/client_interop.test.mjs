// Goal: our MQTT client (ClientHost over the client core, both builds) works with real peers
// exactly as the spec says, against Debian's mosquitto and against our own gateway alike.
// Method: each check is written once and pointed at both brokers (started here on 127.0.0.1 and
// free ports); the other ends are mosquitto_pub / mosquitto_sub, MQTT.js and paho-mqtt. Payloads
// are compared byte for byte (by length and SHA-256), and every wait is bounded.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { chmodSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import mqtt from "mqtt";
import { ClientHost } from "../tools/client/host.mjs";
import { BrokerHost } from "../tools/gateway/host.mjs";
import { parsePasswordFile } from "../tools/gateway/passwords.mjs";
import { run, sleep, start, startMosquitto, startWrenmq, until } from "./support/brokers.mjs";
import { mosquittoStart, toolPath } from "./support/mosquitto.mjs";
import { propertiesDecode, propertiesEncode } from "./support/mqtt_properties.mjs";
import { tcpRelay } from "./support/tcp_relay.mjs";

/** How long any one exchange may take before the test fails, naming what it waited for. */
const WAIT_MS = 5000;
/** Our gateway's packet size, raised from the board default so 100 KB payloads fit. */
const GATEWAY_LIMITS = { packetSizeMax: 1 << 17 };
const VERSION_FLAGS = { 3: "mqttv31", 4: "mqttv311", 5: "mqttv5" };
const PAYLOADS = {
  text: Buffer.from("héllo, wörld"),
  binary: Buffer.from(Array.from({ length: 256 }, (_, i) => i)),
  empty: Buffer.alloc(0),
  large: Buffer.from(Array.from({ length: 100 * 1024 }, (_, i) => (i * 7919 + (i >> 8)) & 0xff)),
};
const BROKERS = [
  ["wrenmq", () => startWrenmq(GATEWAY_LIMITS)],
  ["mosquitto", () => startMosquitto()],
];
const paho = fileURLToPath(new URL("./python/publish.py", import.meta.url));

/** `promise`, or a rejection naming `what` once `ms` have passed. */
function bounded(promise, ms, what) {
  let timer;
  const timeout = new Promise((resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A payload as the assertions show it: exact (length and digest) without 100 KB of hex. */
const digest = (payload) => `${payload.length} bytes ${createHash("sha256").update(payload).digest("hex").slice(0, 16)}`;

/** Our client on `port`, not started; deliveries gathered in `inbox`. Stopped when test `t` ends. */
function ourClient(t, port, options, build = "wasm") {
  const client = new ClientHost({ server: { port }, options: { reconnect: false, keepAlive: 30, ...options }, core: { build } });
  client.inbox = [];
  client.disconnects = [];
  client.on("message", (topic, payload, meta) => client.inbox.push({ topic, payload, ...meta }));
  client.on("disconnect", (reason) => client.disconnects.push(reason));
  t.after(() => bounded(client.stop(), 2000, "stop() at the end of the test").catch(() => client.destroySocket()));
  return client;
}

/** Starts `client` (when idle) and resolves with Session Present from its next CONNACK. */
function connect(client) {
  const connected = bounded(client.connected(), WAIT_MS, "CONNACK");
  if (client.state === "idle") client.start();
  return connected;
}

/** `client.settled(handle)`, bounded. */
const settled = (client, handle, what = `handle ${handle}`) => bounded(client.settled(handle), WAIT_MS, what);

/** Subscribes `client` to `filter` and resolves with the SUBACK's reason (the granted QoS). */
async function subscribe(client, filter, options) {
  const result = await settled(client, client.subscribe(filter, options), `SUBACK for ${filter}`);
  assert.equal(result.status, "done", `subscribe ${filter}: ${JSON.stringify(result)}`);
  return result.reason;
}

/** Messages as the assertions show them: topic, QoS, retain, and the payload's digest. */
const shown = (messages) => messages.map((m) => `${m.topic} q${m.qos}${m.retain ? " retained" : ""} ${digest(m.payload)}`);

/** Waits until `client.inbox` holds `count` messages; a timeout lists those that came. */
async function received(client, count) {
  await until(() => client.inbox.length >= count, WAIT_MS, `${count} messages`).catch((error) => {
    throw new Error(`${error.message}; ${client.inbox.length} came: ${shown(client.inbox).join(", ")}`);
  });
}

/**
 * mosquitto_sub on `filter` at QoS 2 (protocol `version`), ready once its SUBACK is in.
 * `messages()` gives what it printed so far as { topic, qos, retain, payload }.
 */
async function mosquittoSub(t, port, version, filter) {
  // stdbuf: line-buffered stdout, so the debug line "Subscribed" is seen when it is printed.
  const sub = start("stdbuf", ["-oL", toolPath("mosquitto_sub"), "-d", "-p", String(port), "-V", VERSION_FLAGS[version], "-t", filter, "-q", "2",
    "-F", "message %t %q %r %x"], { timeoutMs: 30000 }); // killed after the test, or at the latest then
  t.after(() => sub.child.kill());
  await until(() => sub.output().includes("Subscribed (mid"), WAIT_MS, `mosquitto_sub's SUBACK for ${filter}`);
  // Only whole lines: a 100 KB payload is 200 KB of hex, printed in more than one piece.
  const messages = () => sub.output().split("\n").slice(0, -1).filter((line) => line.startsWith("message ")).map((line) => {
    const [, topic, qos, retain, hex = ""] = line.split(" ");
    return { topic, qos: Number(qos), retain: retain === "1", payload: Buffer.from(hex, "hex") };
  });
  return { messages, until: (count) => until(() => messages().length >= count, WAIT_MS, `${count} messages at mosquitto_sub on ${filter}`) };
}

/** mosquitto_pub of one message; `payload` is a Buffer (empty: -n). */
async function mosquittoPub(port, version, topic, payload, { qos = 0, retain = false } = {}) {
  const args = ["-p", String(port), "-V", VERSION_FLAGS[version], "-t", topic, "-q", String(qos), ...(retain ? ["-r"] : [])];
  const result = payload.length === 0
    ? await run(toolPath("mosquitto_pub"), [...args, "-n"], { timeoutMs: WAIT_MS })
    : await run(toolPath("mosquitto_pub"), [...args, "-s"], { timeoutMs: WAIT_MS, input: payload });
  assert.equal(result.code, 0, `mosquitto_pub ${topic}: ${result.stderr}`);
}

/** An MQTT.js client, connected; its deliveries gathered in `inbox`. Ended when test `t` ends. */
async function mqttjs(t, port, options = {}) {
  const client = await mqtt.connectAsync({ host: "127.0.0.1", port, reconnectPeriod: 0, connectTimeout: WAIT_MS, ...options });
  client.inbox = [];
  client.on("message", (topic, payload, packet) => client.inbox.push({ topic, payload, packet }));
  t.after(() => client.endAsync(true));
  return client;
}

describe("our client against real brokers", { concurrency: true }, () => {
  for (const [name, startBroker] of BROKERS) {
    describe(name, { concurrency: 1 }, () => {
      let broker;
      before(async () => { broker = await startBroker(); });
      after(() => broker?.stop());

      const runs = [["wasm", 3], ["wasm", 4], ["wasm", 5], ["js", 4], ["js", 5]];
      for (const [build, version] of runs) {
        const flag = VERSION_FLAGS[version];
        test(`${build}, ${flag}: publishes at QoS 0, 1, 2 to mosquitto_sub, payload bytes exact (text, binary, empty, 100 KB)`, async (t) => {
          const base = `pub/${build}/${version}`;
          const sub = await mosquittoSub(t, broker.port, version, `${base}/#`);
          const client = ourClient(t, broker.port, { clientId: `pub-${build}-${version}`, version }, build);
          assert.equal(await connect(client), false, "a clean session is never present");
          const expected = [];
          const handles = [];
          for (const qos of [0, 1, 2]) {
            for (const [payloadName, payload] of Object.entries(PAYLOADS)) {
              const topic = `${base}/q${qos}/${payloadName}`;
              handles.push(client.publish(topic, payload, { qos }));
              expected.push({ topic, qos, retain: false, payload });
            }
          }
          for (const handle of handles) assert.deepEqual(await settled(client, handle), { status: "done", reason: 0 });
          await sub.until(expected.length);
          assert.deepEqual(shown(sub.messages()).sort(), shown(expected).sort());
        });

        test(`${build}, ${flag}: receives at QoS 0, 1, 2 from mosquitto_pub, payload bytes exact; SUBACK grants are reported`, async (t) => {
          const base = `sub/${build}/${version}`;
          const client = ourClient(t, broker.port, { clientId: `sub-${build}-${version}`, version }, build);
          await connect(client);
          assert.equal(await subscribe(client, `${base}/all/#`, { qos: 2 }), 2);
          assert.equal(await subscribe(client, `${base}/capped/#`, { qos: 1 }), 1);
          assert.equal(await subscribe(client, `${base}/zero/#`, 0), 0);
          const expected = [];
          for (const qos of [0, 1, 2]) {
            for (const [payloadName, payload] of Object.entries(PAYLOADS)) {
              const topic = `${base}/all/q${qos}/${payloadName}`;
              await mosquittoPub(broker.port, version, topic, payload, { qos });
              expected.push({ topic, qos, retain: false, payload });
            }
          }
          // A QoS 2 message is delivered at the subscription's QoS when that is lower (MQTT-3.8.4-8 / §4.3).
          await mosquittoPub(broker.port, version, `${base}/capped/x`, PAYLOADS.text, { qos: 2 });
          await mosquittoPub(broker.port, version, `${base}/zero/x`, PAYLOADS.binary, { qos: 2 });
          expected.push({ topic: `${base}/capped/x`, qos: 1, retain: false, payload: PAYLOADS.text });
          expected.push({ topic: `${base}/zero/x`, qos: 0, retain: false, payload: PAYLOADS.binary });
          await received(client, expected.length);
          assert.deepEqual(shown(client.inbox).sort(), shown(expected).sort());
          assert.ok(client.inbox.every((m) => !m.dup), "first deliveries carry no DUP");
        });
      }

      for (const version of [4, 5]) {
        const flag = VERSION_FLAGS[version];
        test(`${flag}: a retained message reaches later subscribers with the retain flag, both ways; an empty one clears it`, async (t) => {
          const base = `ret/${version}`;
          const writer = ourClient(t, broker.port, { clientId: `ret-w-${version}`, version });
          await connect(writer);
          const stored = await settled(writer, writer.publish(`${base}/ours`, PAYLOADS.binary, { qos: 1, retain: true }));
          assert.equal(stored.status, "done");
          await mosquittoPub(broker.port, version, `${base}/theirs`, PAYLOADS.text, { qos: 1, retain: true });

          const sub = await mosquittoSub(t, broker.port, version, `${base}/#`);
          await sub.until(2);
          assert.deepEqual(shown(sub.messages()).sort(), shown([
            { topic: `${base}/ours`, qos: 1, retain: true, payload: PAYLOADS.binary },
            { topic: `${base}/theirs`, qos: 1, retain: true, payload: PAYLOADS.text },
          ]), "MQTT-3.3.1-8: a retained message sent on subscribe carries retain 1");

          const reader = ourClient(t, broker.port, { clientId: `ret-r-${version}`, version });
          await connect(reader);
          await subscribe(reader, `${base}/#`, 1);
          await received(reader, 2);
          await mosquittoPub(broker.port, version, `${base}/live`, PAYLOADS.text, { qos: 1 });
          await received(reader, 3);
          assert.deepEqual(shown(reader.inbox.slice(0, 2)).sort(), shown([
            { topic: `${base}/ours`, qos: 1, retain: true, payload: PAYLOADS.binary },
            { topic: `${base}/theirs`, qos: 1, retain: true, payload: PAYLOADS.text },
          ]));
          assert.equal(reader.inbox[2].retain, false, "MQTT-3.3.1-9: a live message to an existing subscription has retain 0");

          const cleared = await settled(writer, writer.publish(`${base}/ours`, PAYLOADS.empty, { qos: 1, retain: true }));
          assert.equal(cleared.status, "done");
          const late = ourClient(t, broker.port, { clientId: `ret-l-${version}`, version });
          await connect(late);
          await subscribe(late, `${base}/ours`, 1);
          await sleep(300);
          assert.deepEqual(late.inbox, [], "MQTT-3.3.1-6: an empty retained payload clears the topic");
        });
      }

      for (const version of [3, 4, 5]) {
        const flag = VERSION_FLAGS[version];
        test(`${flag}: the will is published when the link drops (destroySocket), not on stop()`, async (t) => {
          const base = `will/${version}`;
          const sub = await mosquittoSub(t, broker.port, version, `${base}/#`);
          const polite = ourClient(t, broker.port, { clientId: `will-p-${version}`, version, will: { topic: `${base}/polite`, payload: "gone", qos: 1 } });
          await connect(polite);
          await bounded(polite.stop(), WAIT_MS, "stop()");
          const rude = ourClient(t, broker.port, { clientId: `will-r-${version}`, version, will: { topic: `${base}/rude`, payload: PAYLOADS.binary, qos: 1 } });
          await connect(rude);
          rude.destroySocket();
          await sub.until(1);
          await sleep(200);
          assert.deepEqual(shown(sub.messages()), shown([{ topic: `${base}/rude`, qos: 1, retain: false, payload: PAYLOADS.binary }]));
        });
      }

      test("mqttv5: a will waits for its Will Delay Interval, and a reconnect within the delay cancels it (MQTT-3.1.3-9)", async (t) => {
        const sub = await mosquittoSub(t, broker.port, 5, "wdelay/#");
        const session = { version: 5, clean: false, sessionExpiry: 30 };
        const late = ourClient(t, broker.port, { clientId: "wdelay-late", ...session, will: { topic: "wdelay/late", payload: "late", qos: 1, delay: 1 } });
        const back = ourClient(t, broker.port, { clientId: "wdelay-back", ...session, will: { topic: "wdelay/back", payload: "back", qos: 1, delay: 1 },
          reconnect: { minMs: 100, maxMs: 200 } });
        await Promise.all([connect(late), connect(back)]);
        const resumed = bounded(back.connected(), WAIT_MS, "the reconnect of wdelay-back");
        const started = Date.now();
        late.destroySocket();
        back.destroySocket();
        assert.equal(await resumed, true, "the session is present on reconnect");
        await sub.until(1);
        const waited = Date.now() - started;
        assert.ok(waited >= 900, `the will came after ${waited} ms, before its 1 s delay`);
        await sleep(600);
        assert.deepEqual(sub.messages().map((m) => m.topic), ["wdelay/late"], "the reconnected client's will was cancelled");
      });

      const resumes = [["wasm", 4], ["wasm", 5], ["js", 5]];
      for (const [build, version] of resumes) {
        const flag = VERSION_FLAGS[version];
        test(`${build}, ${flag}: a persistent session gets the QoS 1 and 2 messages sent while it was stopped; Session Present is 1`, async (t) => {
          const base = `res/${build}/${version}`;
          const options = { clientId: `res-${build}-${version}`, version, clean: false, sessionExpiry: version === 5 ? 60 : 0 };
          const client = ourClient(t, broker.port, options, build);
          assert.equal(await connect(client), false, "no session yet");
          assert.equal(await subscribe(client, `${base}/q1`, 1), 1);
          assert.equal(await subscribe(client, `${base}/q2`, 2), 2);
          await bounded(client.stop(), WAIT_MS, "stop()");
          const expected = [];
          for (let i = 0; i < 3; i++) {
            for (const qos of [1, 2]) {
              const payload = Buffer.from(`n${i} at QoS ${qos}`);
              await mosquittoPub(broker.port, version, `${base}/q${qos}`, payload, { qos });
              expected.push({ topic: `${base}/q${qos}`, qos, retain: false, payload });
            }
          }
          assert.equal(await connect(client), true, "MQTT-3.2.2-2: the session is resumed");
          await received(client, expected.length);
          await sleep(100);
          assert.deepEqual(shown(client.inbox), shown(expected), "all of them, once each, in order");
        });
      }

      for (const version of [4, 5]) {
        const flag = VERSION_FLAGS[version];
        test(`${flag}: messages published before connecting and while the broker is down are delivered once it is up`, async (t) => {
          const base = `off/${version}`;
          const sub = await mosquittoSub(t, broker.port, version, `${base}/#`);
          const relay = await tcpRelay(broker.port);
          t.after(() => relay.down());
          await relay.down();
          const client = ourClient(t, relay.port, { clientId: `off-${version}`, version, reconnect: { minMs: 100, maxMs: 200 } });
          const expected = [];
          const handles = [];
          const publish = (stage) => {
            for (const qos of [0, 1, 2]) {
              const topic = `${base}/${stage}/q${qos}`;
              handles.push(client.publish(topic, PAYLOADS.binary, { qos }));
              expected.push({ topic, qos, retain: false, payload: PAYLOADS.binary });
            }
          };
          publish("before-start");
          client.start();
          publish("refused");
          await until(() => client.counters().connects >= 3, WAIT_MS, "attempts refused while the broker is down");
          assert.equal(client.counters().messagesSent, 0);
          let connected = bounded(client.connected(), WAIT_MS, "CONNACK once the broker is up");
          await relay.up();
          await connected;
          for (const handle of handles) assert.equal((await settled(client, handle)).status, "done");
          await sub.until(6);
          await relay.down(); // while connected: the link is cut without a word
          await until(() => client.disconnects.length === 1, WAIT_MS, "the client to see the link drop");
          publish("down");
          connected = bounded(client.connected(), WAIT_MS, "CONNACK after the broker came back");
          const attempts = client.counters().connects;
          await until(() => client.counters().connects >= attempts + 2, WAIT_MS, "attempts refused while the broker is down again");
          await relay.up();
          await connected;
          for (const handle of handles) assert.equal((await settled(client, handle)).status, "done");
          await sub.until(expected.length);
          await sleep(100);
          // Sorted: a broker may forward a QoS 2 message only at its PUBREL, after later QoS 0 and 1 ones.
          assert.deepEqual(shown(sub.messages()).sort(), shown(expected).sort(), "every message, once");
        });
      }

      test("stop() resolves only once the connection is closed, in every start/stop cycle", async (t) => {
        const client = ourClient(t, broker.port, { clientId: "cycle", version: 5 });
        for (let cycle = 1; cycle <= 2; cycle++) {
          await connect(client);
          await bounded(client.stop(), WAIT_MS, `stop() in cycle ${cycle}`);
          assert.equal(client.state, "idle", `stop() resolved in cycle ${cycle} with the client still ${client.state}`);
        }
      });

      describe("MQTT 5 properties and topic aliases", () => {
        const published = {
          payloadFormatIndicator: 1, messageExpiryInterval: 60, contentType: "text/plain; charset=utf-8",
          responseTopic: "props/reply", correlationData: Buffer.from([0, 1, 2, 0xff]),
          userProperties: [["unit", "celsius"], ["unit", "kelvin"], ["site", "north"]],
        };

        for (const build of ["wasm", "js"]) {
          test(`${build}: properties our client publishes arrive at an MQTT.js v5 subscriber`, async (t) => {
            const reader = await mqttjs(t, broker.port, { clientId: `props-r-${build}`, protocolVersion: 5 });
            await reader.subscribeAsync("props/out/#", { qos: 1 });
            const client = ourClient(t, broker.port, { clientId: `props-w-${build}`, version: 5 }, build);
            await connect(client);
            const handle = client.publish(`props/out/${build}`, "21.5", { qos: 1, properties: propertiesEncode(published) });
            assert.deepEqual(await settled(client, handle), { status: "done", reason: 0 });
            await until(() => reader.inbox.length === 1, WAIT_MS, "the message at MQTT.js");
            const { properties } = reader.inbox[0].packet;
            assert.equal(reader.inbox[0].payload.toString(), "21.5");
            assert.equal(properties.payloadFormatIndicator, true);
            assert.ok(properties.messageExpiryInterval > 55 && properties.messageExpiryInterval <= 60,
              `MQTT-3.3.2-6: what is left of 60 s, got ${properties.messageExpiryInterval}`);
            assert.equal(properties.contentType, published.contentType);
            assert.equal(properties.responseTopic, published.responseTopic);
            assert.deepEqual(properties.correlationData, published.correlationData);
            assert.deepEqual({ ...properties.userProperties }, { unit: ["celsius", "kelvin"], site: "north" });
          });

          test(`${build}: properties an MQTT.js v5 client publishes arrive at our client`, async (t) => {
            const client = ourClient(t, broker.port, { clientId: `props-in-${build}`, version: 5 }, build);
            await connect(client);
            await subscribe(client, "props/in/#", 1);
            const writer = await mqttjs(t, broker.port, { clientId: `props-jsw-${build}`, protocolVersion: 5 });
            await writer.publishAsync(`props/in/${build}`, "21.5", { qos: 1, properties: {
              payloadFormatIndicator: true, messageExpiryInterval: 60, contentType: published.contentType,
              responseTopic: published.responseTopic, correlationData: published.correlationData,
              userProperties: { unit: ["celsius", "kelvin"], site: "north" },
            } });
            await received(client, 1);
            const [message] = client.inbox;
            assert.equal(message.payload.toString(), "21.5");
            assert.ok(message.properties, "a property list came with the message");
            const properties = propertiesDecode(message.properties);
            const { messageExpiryInterval, topicAlias, ...rest } = properties;
            assert.ok(messageExpiryInterval > 55 && messageExpiryInterval <= 60, `expiry ${messageExpiryInterval}`);
            assert.deepEqual(rest, {
              payloadFormatIndicator: 1, contentType: published.contentType, responseTopic: published.responseTopic,
              correlationData: published.correlationData, userProperties: published.userProperties,
            });
          });
        }

        test("our client sends aliases where the broker announces a Topic Alias Maximum; the subscriber sees the full topic", async (t) => {
          const topic = `alias/out/${"a-rather-long-level/".repeat(3)}end`;
          const reader = await mqttjs(t, broker.port, { clientId: "alias-reader", protocolVersion: 5 });
          await reader.subscribeAsync("alias/out/#", { qos: 1 });
          const client = ourClient(t, broker.port, { clientId: "alias-writer", version: 5 });
          await connect(client);
          const sizes = [];
          for (let i = 0; i < 3; i++) {
            const before = client.counters().bytesSent;
            assert.equal((await settled(client, client.publish(topic, `m${i}`, { qos: 1 }))).status, "done");
            sizes.push(client.counters().bytesSent - before);
          }
          // The first PUBLISH sets the alias with the topic; the others carry the alias and an empty topic.
          assert.deepEqual([sizes[0] - sizes[1], sizes[1] - sizes[2]], [Buffer.byteLength(topic), 0], `PUBLISH sizes ${sizes}`);
          await until(() => reader.inbox.length === 3, WAIT_MS, "three messages at MQTT.js");
          assert.deepEqual(reader.inbox.map((m) => `${m.topic} ${m.payload}`), [`${topic} m0`, `${topic} m1`, `${topic} m2`]);
        });

        test("our client resolves the aliases a broker sends it (the gateway aliases when the client allows it)", async (t) => {
          const client = ourClient(t, broker.port, { clientId: "alias-in", version: 5 });
          await connect(client);
          await subscribe(client, "alias/in/#", 1);
          const writer = await mqttjs(t, broker.port, { clientId: "alias-in-writer", protocolVersion: 5 });
          const topics = ["alias/in/x", "alias/in/x", "alias/in/y", "alias/in/x", "alias/in/y"];
          for (const topic of topics) await writer.publishAsync(topic, topic, { qos: 1 });
          await received(client, topics.length);
          assert.deepEqual(client.inbox.map((m) => `${m.topic} ${m.payload}`), topics.map((topic) => `${topic} ${topic}`));
          const aliases = client.inbox.map((m) => (m.properties ? propertiesDecode(m.properties).topicAlias : undefined));
          // mosquitto 2.0 never aliases towards a client; the gateway gives each topic an alias the first time.
          assert.deepEqual(aliases, name === "wrenmq" ? [1, 1, 2, 1, 2] : topics.map(() => undefined));
          assert.equal(client.counters().protocolErrors, 0);
        });
      });

      test("with Keep Alive 1 s the client pings, so an idle connection stays up (3.1.1 and 5.0)", async (t) => {
        const clients = [4, 5].map((version) => ourClient(t, broker.port, { clientId: `ka-${version}`, version, keepAlive: 1 }));
        await Promise.all(clients.map(connect));
        const before = clients.map((client) => client.counters());
        await sleep(4000); // mosquitto 2.0 closes a silent keepalive-1 link after 2.9–4 s
        for (const [i, client] of clients.entries()) {
          const now = client.counters();
          assert.deepEqual(client.disconnects, [], "no disconnect");
          assert.equal(client.state, "connected");
          assert.ok(now.bytesSent - before[i].bytesSent >= 3 * 2, `at least three PINGREQs (${now.bytesSent - before[i].bytesSent} bytes sent)`);
          assert.ok(now.bytesReceived - before[i].bytesReceived >= 3 * 2, "and their PINGRESPs");
          assert.equal(now.pingTimeouts, 0);
          assert.equal((await settled(client, client.publish("ka/t", "still here", { qos: 1 }))).status, "done"); // 5.0: 0x10, no subscribers
        }
      });

      for (const protocol of [4, 5]) {
        test(`paho-mqtt (protocol ${protocol}) publishes at QoS 2 to our client subscribed at QoS 2`, async (t) => {
          const client = ourClient(t, broker.port, { clientId: `paho-sub-${protocol}`, version: protocol });
          await connect(client);
          assert.equal(await subscribe(client, "paho/#", 2), 2);
          const payloads = [PAYLOADS.text, PAYLOADS.empty, PAYLOADS.binary];
          const result = await run("python3", [paho, String(broker.port), String(protocol), "paho/q2", "2", ...payloads.map((p) => p.toString("hex"))],
            { timeoutMs: 15000 });
          assert.equal(result.code, 0, `paho: ${result.stderr}${result.stdout}`);
          await received(client, payloads.length);
          await sleep(100);
          assert.deepEqual(shown(client.inbox), shown(payloads.map((payload) => ({ topic: "paho/q2", qos: 2, retain: false, payload }))));
        });
      }
    });
  }

  describe("stop() while the broker is down", () => {
    test("resolves at once: nothing is open, so there is nothing to wait for", async (t) => {
      const relay = await tcpRelay(1); // never up: every attempt is refused
      await relay.down();
      const client = ourClient(t, relay.port, { clientId: "down", version: 4, reconnect: { minMs: 100, maxMs: 200 } });
      client.start();
      await until(() => client.counters().connects >= 2 && client.state === "waiting", WAIT_MS, "a refused attempt, then waiting for the next");
      await bounded(client.stop(), 1000, "stop() while waiting to reconnect");
      assert.equal(client.state, "idle");
    });
  });
});

/** The broker's CONNACK codes for a wrong password and for no credentials, per protocol level. */
const REFUSALS = {
  // MQTT 3.1.1 §3.2.2.3 allows 4 (bad user name or password) or 5 (not authorized) for a wrong
  // password: mosquitto 2.0 answers 5 (and 5.0's 0x87), the gateway 4 (and 0x86).
  mosquitto: { badPassword: { 3: 5, 4: 5, 5: 0x87 }, anonymous: { 3: 5, 4: 5, 5: 0x87 } },
  wrenmq: { badPassword: { 3: 4, 4: 4, 5: 0x86 }, anonymous: { 3: 5, 4: 5, 5: 0x87 } },
};

describe("our client refused by brokers with a password_file", { concurrency: true }, () => {
  const dir = mkdtempSync(join(tmpdir(), "wrenmq-client-interop-"));
  chmodSync(dir, 0o755); // mosquitto started as root reads its files as the mosquitto user
  const passwordFile = join(dir, "passwords");
  const secured = {
    wrenmq: async () => {
      const { users, errors } = parsePasswordFile(readFileSync(passwordFile, "utf8"));
      assert.deepEqual(errors, []);
      const host = new BrokerHost({ security: { allowAnonymous: false, passwords: users } });
      const { port } = await host.listen({ port: 0, host: "127.0.0.1" });
      return { port, stop: () => host.close() };
    },
    mosquitto: async () => {
      const broker = await mosquittoStart(dir, ["allow_anonymous false", `password_file ${passwordFile}`]);
      return { port: broker.port, stop: () => broker.stop() };
    },
  };
  before(async () => {
    const made = await run(toolPath("mosquitto_passwd"), ["-b", "-c", passwordFile, "alice", "wonderland"]);
    assert.equal(made.code, 0, `mosquitto_passwd: ${made.stderr}`);
    chmodSync(passwordFile, 0o644);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const name of ["wrenmq", "mosquitto"]) {
    test(`${name}: the right password connects; a wrong one, none, and an empty id without a clean session are refused`, async (t) => {
      const broker = await secured[name]();
      t.after(() => broker.stop());
      const attempt = async (options) => {
        const client = ourClient(t, broker.port, { clientId: "alice-1", ...options });
        const outcome = await connect(client).then((present) => ({ present }), (error) => ({ reason: error.reason }));
        await sleep(200);
        outcome.connects = client.counters().connects;
        await bounded(client.stop(), WAIT_MS, "stop() after the attempt");
        return outcome;
      };
      for (const version of [3, 4, 5]) {
        const alice = { version, username: "alice", password: "wonderland" };
        assert.deepEqual(await attempt(alice), { present: false, connects: 1 }, `${VERSION_FLAGS[version]}: the right password`);
        assert.deepEqual(await attempt({ ...alice, password: "rabbit" }), { reason: REFUSALS[name].badPassword[version], connects: 1 },
          `${VERSION_FLAGS[version]}: a wrong password (one attempt: reconnect is off)`);
        assert.deepEqual(await attempt({ version }), { reason: REFUSALS[name].anonymous[version], connects: 1 },
          `${VERSION_FLAGS[version]}: no credentials`);
      }
      for (const version of [3, 4]) {
        assert.deepEqual(await attempt({ version, username: "alice", password: "wonderland", clientId: "", clean: false }), { reason: 2, connects: 1 },
          `${VERSION_FLAGS[version]}: MQTT-3.1.3-8, identifier rejected`);
      }
    });
  }
});

describe("wrenmq: pool space and topic aliases towards the client", () => {
  test("an acknowledged QoS 1 message is not dropped for pool space pinned by outbound topic aliases", async (t) => {
    // Three 100 KB messages on three topics, one after another, to a 5.0 subscriber that allows
    // aliases: each is delivered and acknowledged before the next, so the default 256 KiB pool
    // never needs to hold more than one. (Today each outbound alias keeps its whole message.)
    const broker = await startWrenmq({ packetSizeMax: 1 << 17 });
    t.after(() => broker.stop());
    const client = ourClient(t, broker.port, { clientId: "pinned", version: 5 });
    await connect(client);
    await subscribe(client, "pin/#", 2);
    const topics = ["pin/a", "pin/b", "pin/c"];
    for (const [i, topic] of topics.entries()) {
      await mosquittoPub(broker.port, 5, topic, PAYLOADS.large, { qos: 1 });
      await until(() => client.inbox.length === i + 1 || broker.host.counters().dropPoolFull > 0, WAIT_MS, `delivery of ${topic}`);
    }
    assert.equal(broker.host.counters().dropPoolFull, 0, "dropped for a full message pool");
    assert.deepEqual(client.inbox.map((m) => m.topic), topics);
  });
});
