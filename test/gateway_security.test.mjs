// Goal: the gateway's security works with files and certificates made by the real tools:
// a password_file from Debian's mosquitto_passwd, an acl_file in Mosquitto's syntax, TLS with
// and without client certificates (use_identity_as_username), and MQTT over WebSocket.
// Method: the tools make the files in a temporary directory (openssl for a CA, a server and a
// client certificate); the gateway is started in this process on 127.0.0.1 and free ports;
// mosquitto_pub/sub and MQTT.js are the clients. Every wait is bounded.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mqtt from "mqtt";
import { BrokerHost } from "../tools/gateway/host.mjs";
import { parsePasswordFile } from "../tools/gateway/passwords.mjs";
import { parseAcl } from "../tools/gateway/acl.mjs";
import { run, sleep, start, until } from "./support/brokers.mjs";

const dir = mkdtempSync(join(tmpdir(), "wrenmq-security-"));
const path = (name) => join(dir, name);

async function openssl(...args) {
  const result = await run("openssl", args, { timeoutMs: 20000 });
  assert.equal(result.code, 0, `openssl ${args.join(" ")}: ${result.stderr}`);
}

/** A CA, a server certificate for 127.0.0.1 and a client certificate with CN "sensor-7". */
async function makeCertificates() {
  await openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=wrenmq test CA",
    "-keyout", path("ca.key"), "-out", path("ca.crt"));
  for (const [name, cn] of [["server", "127.0.0.1"], ["client", "sensor-7"]]) {
    await openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", `/CN=${cn}`, "-keyout", path(`${name}.key`), "-out", path(`${name}.csr`));
    writeFileSync(path(`${name}.ext`), name === "server" ? "subjectAltName=IP:127.0.0.1\n" : "extendedKeyUsage=clientAuth\n");
    await openssl("x509", "-req", "-in", path(`${name}.csr`), "-CA", path("ca.crt"), "-CAkey", path("ca.key"), "-CAcreateserial",
      "-days", "2", "-extfile", path(`${name}.ext`), "-out", path(`${name}.crt`));
  }
}

let host;
const ports = {};

before(async () => {
  await makeCertificates();
  const made = await run("mosquitto_passwd", ["-b", "-c", path("passwords"), "alice", "wonderland"]);
  assert.equal(made.code, 0, `mosquitto_passwd: ${made.stderr} (run make setup)`);
  await run("mosquitto_passwd", ["-b", path("passwords"), "bob", "builder"]);
  writeFileSync(path("acl"), [
    "user alice", "topic readwrite home/#", "",
    "user bob", "topic read home/#", "topic write bob/#", "",
    "pattern readwrite clients/%u/#",
  ].join("\n"));
  const passwords = parsePasswordFile(readFileSync(path("passwords"), "utf8"));
  const acl = parseAcl(readFileSync(path("acl"), "utf8"));
  assert.deepEqual([passwords.errors, acl.errors], [[], []]);
  host = new BrokerHost({ security: { allowAnonymous: false, passwords: passwords.users, acl: acl.acl } });
  const tlsFiles = { cert: readFileSync(path("server.crt")), key: readFileSync(path("server.key")), ca: readFileSync(path("ca.crt")) };
  ports.tcp = (await host.listen({ port: 0 })).port;
  ports.tls = (await host.listen({ port: 0, tls: tlsFiles })).port;
  ports.mtls = (await host.listen({ port: 0, tls: { ...tlsFiles, requestCert: true, useIdentityAsUsername: true } })).port;
  ports.ws = (await host.listen({ port: 0, protocol: "websockets" })).port;
});

after(async () => {
  await host?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The SUBACK codes of a SUBSCRIBE (MQTT.js rejects when any is a failure; we want them all). */
const subscribeCodes = (client, topics, options) => new Promise((resolve) => {
  client.subscribe(topics, options, (error, granted) => resolve((error?.packet?.granted ?? granted.map((g) => g.qos))));
});

const connect = (options) => mqtt.connectAsync({ host: "127.0.0.1", reconnectPeriod: 0, connectTimeout: 5000, ...options });

describe("password_file made by mosquitto_passwd", () => {
  test("the right password connects, a wrong one and anonymity are refused", async () => {
    const ok = await run("mosquitto_pub", ["-p", String(ports.tcp), "-u", "alice", "-P", "wonderland", "-t", "home/x", "-m", "1"]);
    assert.equal(ok.code, 0, ok.stderr);
    const wrong = await run("mosquitto_pub", ["-p", String(ports.tcp), "-u", "alice", "-P", "nope", "-t", "home/x", "-m", "1"]);
    assert.notEqual(wrong.code, 0);
    assert.match(wrong.stderr, /bad user name or password|not authori[sz]ed/i);
    const anonymous = await run("mosquitto_pub", ["-p", String(ports.tcp), "-t", "home/x", "-m", "1"]);
    assert.notEqual(anonymous.code, 0, "allow_anonymous false refuses a CONNECT without a user name");
    const v5 = await connect({ port: ports.tcp, protocolVersion: 5, username: "bob", password: "wrong" }).catch((error) => error);
    assert.equal(v5.code, 0x86, "MQTT 5 CONNACK 0x86 Bad User Name or Password");
  });
});

describe("acl_file in Mosquitto's syntax", () => {
  test("a refused SUBSCRIBE gets a failure code and a refused PUBLISH is not delivered (0x87 in 5.0)", async () => {
    const alice = await connect({ port: ports.tcp, username: "alice", password: "wonderland", clientId: "alice-1", protocolVersion: 5 });
    const bob = await connect({ port: ports.tcp, username: "bob", password: "builder", clientId: "bob-1", protocolVersion: 5 });
    const seen = [];
    alice.on("message", (topic, payload) => seen.push(`${topic} ${payload}`));
    const granted = await subscribeCodes(bob, ["home/#", "secret/#"], { qos: 1 });
    assert.deepEqual(granted, [1, 0x87], "home/# is readable for bob, secret/# is not");
    await alice.subscribeAsync("home/#", { qos: 1 });
    const refused = await new Promise((resolve) => bob.publish("home/door", "open", { qos: 1 }, (error, packet) => resolve(error ?? packet)));
    assert.equal(refused.code ?? refused.reasonCode, 0x87, "bob may not write home/#");
    await bob.publishAsync("bob/status", "ok", { qos: 1 });
    await alice.publishAsync("home/door", "closed", { qos: 1 });
    await sleep(300);
    assert.deepEqual(seen, ["home/door closed"]);
    assert.ok(host.counters().denied >= 2);
    await Promise.all([alice.endAsync(), bob.endAsync()]);
  });

  test("pattern lines substitute %u", async () => {
    const alice = await connect({ port: ports.tcp, username: "alice", password: "wonderland", clientId: "alice-2", protocolVersion: 5 });
    const granted = await subscribeCodes(alice, ["clients/alice/inbox", "clients/bob/inbox"], { qos: 0 });
    assert.deepEqual(granted, [0, 0x87]);
    await alice.endAsync();
  });
});

describe("TLS", () => {
  test("mosquitto_sub and mosquitto_pub over TLS with the CA file", async () => {
    const sub = start("mosquitto_sub", ["-h", "127.0.0.1", "-p", String(ports.tls), "--cafile", path("ca.crt"), "-u", "alice", "-P", "wonderland",
      "-t", "home/tls", "-C", "1", "-i", "tls-sub"]);
    await sleep(400);
    const pub = await run("mosquitto_pub", ["-h", "127.0.0.1", "-p", String(ports.tls), "--cafile", path("ca.crt"), "-u", "alice", "-P", "wonderland",
      "-t", "home/tls", "-m", "secure", "-q", "1"]);
    assert.equal(pub.code, 0, pub.stderr);
    const result = await sub.done;
    assert.equal(result.stdout.trim(), "secure", result.stderr);
  });

  test("require_certificate with use_identity_as_username: the certificate's CN is the user, no password", async () => {
    const client = await connect({ port: ports.mtls, protocol: "mqtts", ca: readFileSync(path("ca.crt")),
      cert: readFileSync(path("client.crt")), key: readFileSync(path("client.key")), clientId: "sensor-7", protocolVersion: 5 });
    const granted = await subscribeCodes(client, ["clients/sensor-7/#", "home/#"], { qos: 1 });
    assert.deepEqual(granted, [1, 0x87], "ACL applied to user sensor-7 (%u pattern only)");
    await client.endAsync();
    const noCertificate = await run("mosquitto_pub", ["-h", "127.0.0.1", "-p", String(ports.mtls), "--cafile", path("ca.crt"), "-t", "x", "-m", "1"]);
    assert.notEqual(noCertificate.code, 0, "a client without a certificate is refused");
  });
});

describe("WebSocket (subprotocol mqtt)", () => {
  test("MQTT.js over ws:// publishes and receives", async () => {
    const client = await connect({ port: ports.ws, protocol: "ws", path: "/", username: "alice", password: "wonderland", clientId: "ws-1" });
    const seen = [];
    client.on("message", (topic, payload) => seen.push(payload.toString()));
    await client.subscribeAsync("home/ws", { qos: 1 });
    await client.publishAsync("home/ws", "over websocket", { qos: 1 });
    await until(() => seen.length === 1, 3000, "the message back");
    assert.deepEqual(seen, ["over websocket"]);
    await client.endAsync();
  });
});
