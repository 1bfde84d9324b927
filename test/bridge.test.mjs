// The gateway's bridge (tools/gateway/bridge.mjs) to a real upstream: Debian's mosquitto,
// started and restarted by the test on 127.0.0.1. Local clients are MQTT.js; the upstream's
// subscriber is our own client with a persistent session.
import { test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mqtt from "mqtt";
import { BrokerHost } from "../tools/gateway/host.mjs";
import { Bridge, topicMatches } from "../tools/gateway/bridge.mjs";
import { parseConfig } from "../tools/gateway/config.mjs";
import { ClientHost } from "../tools/client/host.mjs";
import { mosquittoStart } from "./support/mosquitto.mjs";
import { run, sleep, until } from "./support/brokers.mjs";
import { parseAcl } from "../tools/gateway/acl.mjs";
import { hashPassword, parsePasswordFile } from "../tools/gateway/passwords.mjs";

/** An upstream mosquitto that can be stopped and started again on the same port, keeping its state on disk. */
async function upstream() {
  const dir = mkdtempSync(join(tmpdir(), "wrenmq-upstream-"));
  chmodSync(dir, 0o777); // mosquitto started as root runs as the mosquitto user and writes its persistence file here
  const lines = ["allow_anonymous true", "persistence true", `persistence_location ${dir}/`, "max_queued_messages 10000"];
  let broker = await mosquittoStart(dir, lines);
  const port = broker.port;
  return {
    port,
    stop: () => broker.stop(),
    restart: async () => { broker = await mosquittoStart(dir, lines, { port }); },
    remove: async () => { await broker.stop(); rmSync(dir, { recursive: true, force: true }); },
  };
}

/** Our gateway with one bridge configured by `lines` (after a `connection` line naming `port`). */
async function gatewayWithBridge(port, lines) {
  const { config, errors } = parseConfig(["connection up", `address 127.0.0.1:${port}`, "restart_timeout 1 2", ...lines].join("\n"));
  assert.deepEqual(errors, []);
  const broker = new BrokerHost({ limits: { packetSizeMax: 65536 } });
  const { port: localPort } = await broker.listen({ port: 0, host: "127.0.0.1" });
  const bridge = new Bridge(config.bridges[0], broker).start();
  await until(() => bridge.status().state === "up", 10000, "bridge up");
  return { broker, bridge, localPort, close: async () => { await bridge.stop(); await broker.close(); } };
}

/** Our client on the upstream, persistent, collecting "topic payload" lines. */
async function upstreamSubscriber(port, filter) {
  const client = new ClientHost({ server: { port }, options: { clientId: "upstream-sub", clean: false, reconnect: { minMs: 50, maxMs: 300 } } });
  const seen = [];
  client.on("message", (topic, payload) => seen.push(`${topic} ${payload}`));
  client.start();
  await client.connected();
  await client.settled(client.subscribe(filter, 1));
  return { client, seen };
}

test("bridge options are read with mosquitto's meaning, and refused with their line", () => {
  const { config, errors } = parseConfig([
    "connection cloud", "address broker.example:8883 backup.example", "topic sensors/# out 1 \"\" site1/", "topic cmd/# in 2",
    "remote_clientid gw-1", "cleansession true", "bridge_protocol_version mqttv50", "bridge_max_queued_messages 500",
    "bridge_queue_policy sensors/+/temperature latest", "round_robin true", "topic a sideways", "bridge_queue_policy x/# newest",
  ].join("\n"));
  const [bridge] = config.bridges;
  assert.deepEqual(bridge.addresses, [{ host: "broker.example", port: 8883 }, { host: "backup.example", port: 1883 }]);
  assert.deepEqual(bridge.topics.map(({ pattern, direction, qos, localPrefix, remotePrefix }) => [pattern, direction, qos, localPrefix, remotePrefix]),
    [["sensors/#", "out", 1, "", "site1/"], ["cmd/#", "in", 2, "", ""]]);
  assert.deepEqual([bridge.remoteClientId, bridge.cleanSession, bridge.protocolVersion, bridge.queueMax], ["gw-1", true, 5, 500]);
  assert.deepEqual(bridge.queuePolicies, [{ pattern: "sensors/+/temperature", policy: "latest" }]);
  assert.deepEqual(errors.map((error) => error.line), [10, 11, 12]);
  assert.match(errors[0].message, /unsupported option 'round_robin'/);
  assert.deepEqual(parseConfig("address 127.0.0.1").errors.map((e) => e.message), ["'address' before any 'connection' line: bridge options follow the connection they configure (line 1)"]);
  assert.ok(topicMatches("a/+/c", "a/b/c") && topicMatches("a/#", "a") && !topicMatches("#", "$SYS/x") && !topicMatches("a/+", "a/b/c"));
});

test("messages cross the bridge both ways, with prefixes mapped", async () => {
  const up = await upstream();
  const gateway = await gatewayWithBridge(up.port, ["topic sensors/# out 1 \"\" site1/", "topic cmd/# in 1"]);
  const { client: remote, seen } = await upstreamSubscriber(up.port, "site1/#");
  const local = await mqtt.connectAsync({ port: gateway.localPort, host: "127.0.0.1", protocolVersion: 5 });
  const localSeen = [];
  local.on("message", (topic, payload) => localSeen.push(`${topic} ${payload}`));
  try {
    await local.subscribeAsync("cmd/#", { qos: 1 });
    await local.publishAsync("sensors/kitchen/temperature", "21.5", { qos: 1 });
    await until(() => seen.length === 1, 5000, "the upstream receives the reading");
    assert.deepEqual(seen, ["site1/sensors/kitchen/temperature 21.5"]);
    await remote.settled(remote.publish("cmd/led", "on", { qos: 1 }));
    await until(() => localSeen.length === 1, 5000, "the command comes down");
    assert.deepEqual(localSeen, ["cmd/led on"]);
    await until(() => gateway.bridge.status().sent === 1, 5000, "the upstream's PUBACK");
    const status = gateway.bridge.status();
    assert.deepEqual([status.state, status.sent, status.received, status.dropped, status.queued], ["up", 1, 1, 0, 0]);
  } finally {
    await local.endAsync();
    await remote.stop();
    await gateway.close();
    await up.remove();
  }
});

test("a bridged message is authorised like a PUBLISH: from the upstream as local_username, under allow_anonymous false and an acl_file", async () => {
  const up = await upstream();
  const { config, errors } = parseConfig(["connection up", `address 127.0.0.1:${up.port}`, "restart_timeout 1 2", "local_username bridge",
    "local_clientid gw-bridge", "topic cmd/# in 1", "topic forbidden/# in 1", "topic sensors/# out 1"].join("\n"));
  assert.deepEqual(errors, []);
  const { acl } = parseAcl(["user bridge", "topic write cmd/#", "topic read sensors/#", "user reader", "topic readwrite #"].join("\n"));
  const passwords = parsePasswordFile(`reader:${hashPassword("secret")}\n`).users;
  const broker = new BrokerHost({ security: { allowAnonymous: false, passwords, acl } });
  const { port: localPort } = await broker.listen({ port: 0, host: "127.0.0.1" });
  const bridge = new Bridge(config.bridges[0], broker).start();
  const { client: remote, seen } = await upstreamSubscriber(up.port, "sensors/#");
  const local = await mqtt.connectAsync({ port: localPort, host: "127.0.0.1", protocolVersion: 5, username: "reader", password: "secret" });
  const localSeen = [];
  local.on("message", (topic, payload) => localSeen.push(`${topic} ${payload}`));
  try {
    await until(() => bridge.status().state === "up", 10000, "bridge up (its local side logs in without a password)");
    await local.subscribeAsync(["cmd/#", "forbidden/#"], { qos: 1 });
    await remote.settled(remote.publish("forbidden/x", "no", { qos: 1 }));
    await remote.settled(remote.publish("cmd/led", "on", { qos: 1 }));
    await until(() => localSeen.length === 1, 5000, "the granted command comes down");
    await sleep(200);
    assert.deepEqual(localSeen, ["cmd/led on"], "forbidden/x is refused: bridge may not write it");
    assert.ok(broker.counters().denied >= 1);
    await local.publishAsync("sensors/t", "20", { qos: 1 });
    await until(() => seen.length === 1, 5000, "out: the bridge may read sensors/#");
  } finally {
    await local.endAsync();
    await remote.stop();
    await bridge.stop();
    await broker.close();
    await up.remove();
  }
});

test("the upstream restarts mid-stream: every message within the bound arrives, in order per topic", async () => {
  const up = await upstream();
  const gateway = await gatewayWithBridge(up.port, ["topic data/# out 1", "bridge_max_queued_messages 2000"]);
  const { client: remote, seen } = await upstreamSubscriber(up.port, "data/#");
  const local = await mqtt.connectAsync({ port: gateway.localPort, host: "127.0.0.1", protocolVersion: 4 });
  const total = 1500;
  const topics = 5;
  let queuedAtRestart = 0;
  try {
    for (let n = 0; n < total; n++) {
      if (n === 300) await up.stop(); // mid-stream: in flight, queued and later messages all at stake
      if (n === 1200) {
        queuedAtRestart = gateway.bridge.status().queued;
        await up.restart();
      }
      await local.publishAsync(`data/${n % topics}`, String(n), { qos: 1 });
    }
    await until(() => new Set(seen).size === total, 30000, `all ${total} messages upstream (have ${new Set(seen).size})`);
    const lastByTopic = new Map();
    for (const line of seen) {
      const [topic, value] = line.split(" ");
      const n = Number(value);
      const last = lastByTopic.get(topic) ?? -1;
      assert.ok(n > last || seen.indexOf(line) !== seen.lastIndexOf(line), `${topic}: ${n} after ${last} (out of order)`);
      if (n > last) lastByTopic.set(topic, n);
    }
    // 900 were published during the outage; one may have been acknowledged as the upstream went away.
    assert.ok(queuedAtRestart >= 850, `the bridge held the outage's messages: ${queuedAtRestart} queued at restart`);
    assert.ok(gateway.bridge.remote.counters().connects >= 2, "the bridge reconnected by itself");
    await until(() => gateway.bridge.status().queued === 0, 5000, "the last acknowledgements"); // they trail the deliveries
    assert.equal(gateway.bridge.status().dropped, 0);
  } finally {
    await local.endAsync();
    await remote.stop();
    await gateway.close();
    await up.remove();
  }
});

test("while the upstream is down the queue is bounded; each policy drops what it says, and the count matches", async () => {
  const up = await upstream();
  const gateway = await gatewayWithBridge(up.port, [
    "topic keep/# out 1", "topic latest/# out 1", "bridge_max_queued_messages 40",
    "bridge_queue_policy latest/# latest", "bridge_queue_policy keep/# keep-all",
  ]);
  const { client: remote, seen } = await upstreamSubscriber(up.port, "#");
  const local = await mqtt.connectAsync({ port: gateway.localPort, host: "127.0.0.1" });
  try {
    await up.stop();
    await until(() => gateway.bridge.status().state === "down", 5000, "bridge down");
    for (let n = 0; n < 10; n++) for (const room of ["a", "b", "c"]) await local.publishAsync(`latest/${room}`, String(n), { qos: 1 });
    for (let n = 0; n < 50; n++) await local.publishAsync("keep/x", String(n), { qos: 1 });
    // latest: 3 kept (one per topic), 27 replaced; keep-all: 37 of 50 fit beside them, 13 refused.
    await until(() => gateway.bridge.status().queued + gateway.bridge.status().dropped === 80, 5000, "all 80 accounted for");
    assert.deepEqual([gateway.bridge.status().queued, gateway.bridge.status().dropped], [40, 40]);
    await up.restart();
    await until(() => seen.filter((line) => !line.startsWith("$")).length >= 40, 15000, "the queue drained");
    const data = seen.filter((line) => !line.startsWith("$"));
    assert.deepEqual(data.filter((line) => line.startsWith("latest/")).sort(), ["latest/a 9", "latest/b 9", "latest/c 9"]);
    assert.deepEqual(data.filter((line) => line.startsWith("keep/")), Array.from({ length: 37 }, (_, n) => `keep/x ${n}`));
    const status = await new Promise((resolve) => {
      const watcher = mqtt.connect({ port: gateway.localPort, host: "127.0.0.1" });
      watcher.on("message", (topic, payload) => { watcher.end(); resolve(JSON.parse(payload)); });
      watcher.subscribe("wrenmq/bridge/up/status");
    });
    assert.equal(status.dropped, 40);
  } finally {
    await local.endAsync();
    await remote.stop();
    await gateway.close();
    await up.remove();
  }
});

test("the bridge reaches a TLS upstream with its own client certificate, and refuses one it cannot verify", async () => {
  const dir = mkdtempSync(join(tmpdir(), "wrenmq-bridge-tls-"));
  const path = (name) => join(dir, name);
  const openssl = async (...args) => assert.equal((await run("openssl", args, { timeoutMs: 20000 })).code, 0, `openssl ${args[0]}`);
  for (const ca of ["ca", "stranger"]) {
    await openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", `/CN=${ca}`, "-keyout", path(`${ca}.key`), "-out", path(`${ca}.crt`));
  }
  for (const [name, cn, ext] of [["server", "127.0.0.1", "subjectAltName=IP:127.0.0.1"], ["bridge", "gateway-1", "extendedKeyUsage=clientAuth"]]) {
    await openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", `/CN=${cn}`, "-keyout", path(`${name}.key`), "-out", path(`${name}.csr`));
    writeFileSync(path(`${name}.ext`), `${ext}\n`);
    await openssl("x509", "-req", "-in", path(`${name}.csr`), "-CA", path("ca.crt"), "-CAkey", path("ca.key"), "-CAcreateserial",
      "-days", "2", "-extfile", path(`${name}.ext`), "-out", path(`${name}.crt`));
  }
  // The upstream: our own gateway, TLS only, client certificates required.
  const upstream = new BrokerHost({ limits: { packetSizeMax: 65536 } });
  const { port } = await upstream.listen({ port: 0, host: "127.0.0.1", tls: {
    cert: readFileSync(path("server.crt")), key: readFileSync(path("server.key")), ca: readFileSync(path("ca.crt")), requestCert: true,
  } });
  const tlsLines = (ca) => [`bridge_cafile ${path(ca)}`, `bridge_certfile ${path("bridge.crt")}`, `bridge_keyfile ${path("bridge.key")}`];
  const remote = new ClientHost({ server: { port, tls: { ca: readFileSync(path("ca.crt")), cert: readFileSync(path("bridge.crt")), key: readFileSync(path("bridge.key")) } }, options: { clientId: "upstream-sub" } });
  const seen = [];
  remote.on("message", (topic, payload) => seen.push(`${topic} ${payload}`));
  remote.start();
  await remote.connected();
  await remote.settled(remote.subscribe("site/#", 1));
  const gateway = await gatewayWithBridge(port, ["topic # out 1 \"\" site/", ...tlsLines("ca.crt")]);
  const local = await mqtt.connectAsync({ port: gateway.localPort, host: "127.0.0.1" });
  // A bridge that trusts another CA never comes up: the upstream's certificate is not verified.
  const { config } = parseConfig(["connection wary", `address 127.0.0.1:${port}`, "restart_timeout 1", "topic # out 1", ...tlsLines("stranger.crt")].join("\n"));
  const wary = new Bridge(config.bridges[0], gateway.broker).start();
  const warnings = [];
  wary.on("log", (line) => warnings.push(line));
  try {
    await local.publishAsync("meter/1", "42", { qos: 1 });
    await until(() => seen.length === 1, 5000, "the reading over TLS");
    assert.deepEqual(seen, ["site/meter/1 42"]);
    await until(() => warnings.length > 0, 5000, "the untrusted upstream's error");
    assert.equal(wary.status().state, "down");
    assert.match(warnings[0], /certificate/i);
  } finally {
    await wary.stop();
    await local.endAsync();
    await remote.stop();
    await gateway.close();
    await upstream.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
