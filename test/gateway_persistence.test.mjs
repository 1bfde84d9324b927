// Goal: the gateway with a flash file keeps what it acknowledged through kill -9: persistent-
// session subscribers receive every message whose publisher saw it acknowledged, a QoS 2 message
// once, and retained messages survive.
// Method: the gateway runs as a child process (tools/gateway/main.mjs --flash FILE). MQTT.js
// clients: a 3.1.1 subscriber with a persistent session (QoS 1) that is offline during the
// stream, a 5.0 subscriber with a session expiry (QoS 2) that stays connected and reconnects by
// itself, and a publisher streaming numbered QoS 1 and QoS 2 messages. The gateway gets SIGKILL
// mid-stream, is started again on the same file, and both subscribers must then hold every
// message the publisher's callback confirmed (PUBACK, or PUBCOMP which follows PUBREC).
// Then the same for a bridge: messages the gateway acknowledged while its upstream (Debian's
// mosquitto) was down reach the upstream after the gateway is killed and started again.
import { test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mqtt from "mqtt";
import { freePort, gatewayChild, sleep, until } from "./support/brokers.mjs";
import { mosquittoStart } from "./support/mosquitto.mjs";

const SIM = JSON.parse(readFileSync(new URL("../boards/sim.json", import.meta.url), "utf8"));
/** The simulated board, with queues deep enough for the whole stream (a full queue drops, counted). */
const BOARD = {
  ...SIM,
  limits: { ...SIM.limits, queueCountMax: 2000, messageCountMax: 4096, storeRecordCountMax: 8192 },
  flash: { sectorSize: 8192, sectorCount: 256, writeSize: 4 },
};
const STREAM = 600;
const KILL_AFTER = 150;

/** The gateway as a child process on `dir`'s board and flash file. */
const gatewayStart = (dir, port, extra = []) =>
  gatewayChild(["--board", join(dir, "board.json"), "--port", String(port), "--flash", join(dir, "gateway.flash"), ...extra]);

function connect(port, options) {
  const client = mqtt.connect({ host: "127.0.0.1", port, reconnectPeriod: 200, connectTimeout: 2000, ...options });
  client.on("error", () => {}); // refused while the gateway is down: it reconnects
  return client;
}

const connected = (client) => new Promise((resolve) => client.once("connect", resolve));

test("kill -9 of the gateway loses nothing it acknowledged: persistent sessions, QoS 2 once, retained messages", async () => {
  const dir = mkdtempSync(join(tmpdir(), "wrenmq-persist-"));
  writeFileSync(join(dir, "board.json"), JSON.stringify(BOARD));
  const port = await freePort();
  let gateway = await gatewayStart(dir, port);
  const clients = [];
  try {
    // The subscribers' sessions, and the retained messages (one replaced, one cleared).
    const offline = connect(port, { clientId: "sub-offline", clean: false, protocolVersion: 4, reconnectPeriod: 0 });
    await connected(offline);
    await offline.subscribeAsync("p/#", { qos: 1 });
    await offline.endAsync();
    const online = connect(port, { clientId: "sub-online", clean: false, protocolVersion: 5, properties: { sessionExpiryInterval: 3600 } });
    clients.push(online);
    const received = new Map(); // payload -> times
    online.on("message", (topic, payload) => received.set(String(payload), (received.get(String(payload)) ?? 0) + 1));
    await connected(online);
    await online.subscribeAsync("p/#", { qos: 2 });
    const publisher = connect(port, { clientId: "pub", clean: true, protocolVersion: 4, reconnectPeriod: 0 });
    clients.push(publisher);
    await connected(publisher);
    await publisher.publishAsync("r/config", "v1", { qos: 1, retain: true });
    await publisher.publishAsync("r/config", "v2", { qos: 1, retain: true });
    await publisher.publishAsync("r/gone", "soon", { qos: 1, retain: true });
    await publisher.publishAsync("r/gone", "", { qos: 1, retain: true });

    // The stream: up to 10 in flight; confirmed numbers are the ones the gateway acknowledged.
    const confirmed = new Set();
    let next = 0;
    let inFlight = 0;
    const pump = () => {
      while (inFlight < 10 && next < STREAM && publisher.connected) {
        const n = next++;
        inFlight++;
        publisher.publish(n % 2 ? "p/2" : "p/1", String(n), { qos: n % 2 ? 2 : 1 }, (error) => {
          inFlight--;
          if (!error) confirmed.add(n);
          setImmediate(pump);
        });
      }
    };
    pump();
    await until(() => confirmed.size >= KILL_AFTER, 20000, `${KILL_AFTER} acknowledgements`);
    gateway.child.kill("SIGKILL");
    await gateway.exited;
    const atKill = [...confirmed];
    assert.ok(next < STREAM, "the kill came mid-stream");
    publisher.end(true);

    gateway = await gatewayStart(dir, port);
    const restored = /(\d+) records restored/.exec(gateway.output());
    assert.ok(restored && Number(restored[1]) > 0, gateway.output());

    // The offline subscriber comes back to its queue; the online one has reconnected by itself.
    const back = connect(port, { clientId: "sub-offline", clean: false, protocolVersion: 4 });
    clients.push(back);
    const queued = new Set();
    back.on("message", (topic, payload) => queued.add(String(payload)));
    const sessionPresent = await new Promise((resolve) => back.once("connect", (connack) => resolve(connack.sessionPresent)));
    assert.equal(sessionPresent, true, "the persistent session was restored");
    await until(() => atKill.every((n) => queued.has(String(n))), 20000,
      `the offline subscriber's queue (missing ${atKill.filter((n) => !queued.has(String(n))).slice(0, 10)})`);
    await until(() => atKill.every((n) => received.has(String(n))), 20000,
      `the online subscriber (missing ${atKill.filter((n) => !received.has(String(n))).slice(0, 10)})`);
    await sleep(300); // time for a duplicate to show
    const twice = atKill.filter((n) => n % 2 === 1 && received.get(String(n)) > 1);
    assert.deepEqual(twice, [], "QoS 2 messages delivered more than once");

    // Retained messages: the replacement survived, the cleared topic stayed cleared.
    const reader = connect(port, { clientId: "reader", clean: true, protocolVersion: 4 });
    clients.push(reader);
    const retained = new Map();
    reader.on("message", (topic, payload, packet) => { if (packet.retain) retained.set(topic, String(payload)); });
    await connected(reader);
    await reader.subscribeAsync("r/#", { qos: 1 });
    await until(() => retained.has("r/config"), 5000, "the retained message");
    await sleep(200);
    assert.deepEqual(Object.fromEntries(retained), { "r/config": "v2" });
  } finally {
    for (const client of clients) client.end(true);
    gateway.child.kill("SIGKILL");
    await gateway.exited;
    rmSync(dir, { recursive: true, force: true });
  }
});

test("kill -9 of the gateway keeps a bridge's queue: what it acknowledged reaches the upstream later", async () => {
  const dir = mkdtempSync(join(tmpdir(), "wrenmq-persist-bridge-"));
  chmodSync(dir, 0o777); // mosquitto started as root runs as the mosquitto user
  writeFileSync(join(dir, "board.json"), JSON.stringify(BOARD));
  const [port, upstreamPort] = [await freePort(), await freePort()];
  writeFileSync(join(dir, "gateway.conf"), ["connection up", `address 127.0.0.1:${upstreamPort}`, "topic out/# out 1", "restart_timeout 1 1",
    "notifications false", ""].join("\n"));
  let gateway = await gatewayStart(dir, port, ["--config", join(dir, "gateway.conf")]);
  const clients = [];
  let upstream = null;
  try {
    // The bridge's local subscription is in place once its status (published after it) is retained.
    const publisher = connect(port, { clientId: "bridge-pub", clean: true, protocolVersion: 4, reconnectPeriod: 0 });
    clients.push(publisher);
    await connected(publisher);
    const status = [];
    publisher.on("message", (topic, payload) => status.push(String(payload)));
    await publisher.subscribeAsync("wrenmq/bridge/up/status", { qos: 0 });
    await until(() => status.length > 0, 5000, "the bridge's status");
    const count = 120;
    for (let n = 0; n < count; n++) await publisher.publishAsync(`out/${n % 4}`, String(n), { qos: 1 }); // each acknowledged
    await until(() => status.some((line) => JSON.parse(line).queued === count), 5000, `the bridge to queue ${count} (status ${status.at(-1)})`);
    gateway.child.kill("SIGKILL");
    await gateway.exited;
    publisher.end(true);

    upstream = await mosquittoStart(dir, ["allow_anonymous true"], { port: upstreamPort });
    const watcher = connect(upstreamPort, { clientId: "upstream-watch", clean: true, protocolVersion: 4 });
    clients.push(watcher);
    const seen = new Set();
    watcher.on("message", (topic, payload) => seen.add(Number(payload)));
    await connected(watcher);
    await watcher.subscribeAsync("out/#", { qos: 1 });
    gateway = await gatewayStart(dir, port, ["--config", join(dir, "gateway.conf")]);
    await until(() => gateway.output().includes("recovered from"), 5000, "the bridge's recovery line");
    assert.match(gateway.output(), new RegExp(`bridge up: ${count} messages recovered`));
    await until(() => seen.size === count, 20000, `the upstream to receive ${count} (has ${seen.size})`);
  } finally {
    for (const client of clients) client.end(true);
    gateway.child.kill("SIGKILL");
    await gateway.exited;
    await upstream?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
