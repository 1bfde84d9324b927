// Goal: `wrenmq pub` and `wrenmq sub` (tools/cli/) do what mosquitto_pub and mosquitto_sub do with the same flags — messages both ways at QoS 0/1/2 in MQTT 3.1, 3.1.1 and 5.0, retained, lines, files, counts, timeouts, wills, sessions, TLS, refusals and usage errors — with mosquitto's exit codes.
// Method: the real tools face each other through Debian's mosquitto and our gateway, started here on 127.0.0.1 and free ports; every wrenmq run is a child process (node tools/cli/wrenmq.mjs), and every wait is bounded.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { BrokerHost } from "../tools/gateway/host.mjs";
import { parseAcl } from "../tools/gateway/acl.mjs";
import { parsePasswordFile } from "../tools/gateway/passwords.mjs";
import { freePort, run, start, startMosquitto, startWrenmq, until } from "./support/brokers.mjs";
import { mosquittoStart, toolPath } from "./support/mosquitto.mjs";

const CLI = fileURLToPath(new URL("../tools/cli/wrenmq.mjs", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "wrenmq-cli-"));
chmodSync(dir, 0o755); // mosquitto started as root reads its files as the user "mosquitto"
const path = (name) => join(dir, name);

/** `wrenmq <args>` to completion: { code, signal, stdout, stderr }. */
const wrenmq = (args, options) => run(process.execPath, [CLI, ...args], options);
const mosquittoPub = (args, options) => run(toolPath("mosquitto_pub"), args, options);
const mosquittoSub = (args, options) => run(toolPath("mosquitto_sub"), args, options);
const at = (port) => ["-h", "127.0.0.1", "-p", String(port)];
/** mosquitto_sub's output format here: one line per message, "M qos retain topic payload-in-hex". */
const FORMAT = ["-F", "M %q %r %t %x"];
let topicCount = 0;
/** A topic no other test uses. */
const topicNew = (name) => `cli/${++topicCount}/${name}`;

/** mosquitto_sub with its stdout line-buffered, so its -d lines come as they happen (not at exit). */
const mosquittoSubLive = (args) => start(toolPath("stdbuf"), ["-oL", toolPath("mosquitto_sub"), ...args]);

/**
 * Starts `wrenmq sub -d …` or `mosquitto_sub -d -F FORMAT …` and resolves once its SUBACK is in
 * (seen in the debug output), so a message published next reaches it.
 */
async function subscriber(tool, args) {
  const sub = tool === "wrenmq"
    ? start(process.execPath, [CLI, "sub", "-d", ...args])
    : mosquittoSubLive(["-d", ...FORMAT, ...args]);
  let stderr = "";
  sub.child.stderr.on("data", (data) => { stderr += data; });
  const subscribed = () => /^debug: subscribe #\d+ answered|^Subscribed \(mid/m.test(stderr + sub.output());
  await until(() => subscribed() || sub.child.exitCode !== null, 5000, `${tool} sub's SUBACK`);
  assert.ok(subscribed(), `${tool} sub ended before its SUBACK: ${stderr}`);
  return sub;
}

/** The messages mosquitto_sub printed in FORMAT, as "qos retain topic payload" lines. */
function messagesOf(stdout) {
  return stdout.split("\n").filter((line) => line.startsWith("M ")).map((line) => {
    const [, qos, retain, topic, hex = ""] = line.split(" ");
    return `${qos} ${retain} ${topic} ${Buffer.from(hex, "hex")}`;
  });
}

/** The messages `wrenmq sub -d` reported on stderr, as "qos retain topic" lines. */
function debugMessagesOf(stderr) {
  return [...stderr.matchAll(/^debug: message on '(.*)' \(QoS (\d), retain (\d)/gm)].map(([, topic, qos, retain]) => `${qos} ${retain} ${topic}`);
}

const brokers = {};
let mosquittoSecure;
let gatewaySecure;

before(async () => {
  brokers.mosquitto = await startMosquitto();
  brokers.wrenmq = await startWrenmq();
  // Logins and topics for the refusal tests: one password file (mosquitto_passwd) and ACL for both brokers.
  const made = await run(toolPath("mosquitto_passwd"), ["-c", "-b", path("passwords"), "alice", "secret"], { timeoutMs: 5000 });
  assert.equal(made.code, 0, made.stderr);
  chmodSync(path("passwords"), 0o644);
  writeFileSync(path("acl"), "user alice\ntopic readwrite ok/#\n", { mode: 0o644 });
  const mosquittoDir = mkdtempSync(join(dir, "mosquitto-"));
  chmodSync(mosquittoDir, 0o755);
  mosquittoSecure = await mosquittoStart(mosquittoDir, ["allow_anonymous false", `password_file ${path("passwords")}`, `acl_file ${path("acl")}`]);
  await certificatesMake();
  const passwords = parsePasswordFile(readFileSync(path("passwords"), "utf8"));
  const acl = parseAcl(readFileSync(path("acl"), "utf8"));
  assert.deepEqual([passwords.errors, acl.errors], [[], []]);
  const host = new BrokerHost({ security: { allowAnonymous: false, passwords: passwords.users, acl: acl.acl } });
  const tlsFiles = { cert: readFileSync(path("server.crt")), key: readFileSync(path("server.key")), ca: readFileSync(path("ca.crt")) };
  gatewaySecure = {
    host,
    port: (await host.listen({ port: 0 })).port,
    tlsPort: (await host.listen({ port: 0, tls: tlsFiles })).port,
    mtlsPort: (await host.listen({ port: 0, tls: { ...tlsFiles, requestCert: true } })).port,
  };
});

after(async () => {
  await Promise.all([brokers.mosquitto?.stop(), brokers.wrenmq?.stop(), mosquittoSecure?.stop(), gatewaySecure?.host.close()]);
  rmSync(dir, { recursive: true, force: true });
});

/** A CA, a server certificate for 127.0.0.1 and a client certificate, with P-256 keys (fast to make). */
async function certificatesMake() {
  const openssl = async (...args) => {
    const result = await run("openssl", args, { timeoutMs: 10000 });
    assert.equal(result.code, 0, `openssl ${args.join(" ")}: ${result.stderr}`);
  };
  const key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  await openssl("req", "-x509", ...key, "-days", "2", "-subj", "/CN=wrenmq cli test CA", "-keyout", path("ca.key"), "-out", path("ca.crt"));
  for (const [name, cn, extension] of [["server", "127.0.0.1", "subjectAltName=IP:127.0.0.1"], ["client", "sensor-7", "extendedKeyUsage=clientAuth"]]) {
    writeFileSync(path(`${name}.ext`), `${extension}\n`);
    await openssl("req", ...key, "-subj", `/CN=${cn}`, "-keyout", path(`${name}.key`), "-out", path(`${name}.csr`));
    await openssl("x509", "-req", "-in", path(`${name}.csr`), "-CA", path("ca.crt"), "-CAkey", path("ca.key"), "-CAcreateserial",
      "-days", "2", "-extfile", path(`${name}.ext`), "-out", path(`${name}.crt`));
  }
}

describe("messages cross both ways", () => {
  for (const name of ["mosquitto", "wrenmq"]) {
    for (const version of ["mqttv31", "mqttv311", "mqttv5"]) {
      test(`${name} broker, ${version}: wrenmq pub → mosquitto_sub at QoS 0, 1 and 2`, async () => {
        const { port } = brokers[name];
        const base = topicNew("to-mosquitto");
        const sub = await subscriber("mosquitto", [...at(port), "-V", version, "-q", "2", "-t", `${base}/#`, "-C", "3", "-W", "8"]);
        for (const qos of [0, 1, 2]) {
          const result = await wrenmq(["pub", ...at(port), "-V", version, "-q", String(qos), "-t", `${base}/${qos}`, "-m", `hello ${qos}`]);
          assert.deepEqual([result.code, result.stderr], [0, ""]);
        }
        const result = await sub.done;
        assert.equal(result.code, 0, result.stderr);
        assert.deepEqual(messagesOf(result.stdout), [`0 0 ${base}/0 hello 0`, `1 0 ${base}/1 hello 1`, `2 0 ${base}/2 hello 2`]);
      });

      test(`${name} broker, ${version}: mosquitto_pub → wrenmq sub at QoS 0, 1 and 2`, async () => {
        const { port } = brokers[name];
        const base = topicNew("to-wrenmq");
        const sub = await subscriber("wrenmq", [...at(port), "-V", version, "-q", "2", "-t", `${base}/#`, "-v", "-C", "3", "-W", "8", "-I", "cli-test-"]);
        for (const qos of [0, 1, 2]) {
          const result = await mosquittoPub([...at(port), "-V", version, "-q", String(qos), "-t", `${base}/${qos}`, "-m", `hello ${qos}`]);
          assert.equal(result.code, 0, result.stderr);
        }
        const result = await sub.done;
        assert.equal(result.code, 0, result.stderr);
        assert.equal(result.stdout, `${base}/0 hello 0\n${base}/1 hello 1\n${base}/2 hello 2\n`);
        assert.deepEqual(debugMessagesOf(result.stderr), [`0 0 ${base}/0`, `1 0 ${base}/1`, `2 0 ${base}/2`]);
        assert.match(result.stderr, /client id 'cli-test-\d+'/);
      });
    }
  }
});

describe("retained messages", () => {
  for (const name of ["mosquitto", "wrenmq"]) {
    test(`${name} broker: pub -r retains (a later subscriber sees the flag), sub prints a retained message, pub -r -n clears`, async () => {
      const { port } = brokers[name];
      const topic = topicNew("retained");
      assert.equal((await wrenmq(["pub", ...at(port), "-t", topic, "-m", "kept", "-r", "-q", "1"])).code, 0);
      const later = await mosquittoSub([...at(port), ...FORMAT, "-q", "1", "-t", topic, "-C", "1", "-W", "5"]);
      assert.deepEqual(messagesOf(later.stdout), [`1 1 ${topic} kept`]);

      assert.equal((await mosquittoPub([...at(port), "-t", topic, "-m", "kept again", "-r", "-q", "1"])).code, 0);
      const ours = await wrenmq(["sub", ...at(port), "-d", "-q", "1", "-t", topic, "-v", "-C", "1", "-W", "5"]);
      assert.equal(ours.code, 0, ours.stderr);
      assert.equal(ours.stdout, `${topic} kept again\n`);
      assert.deepEqual(debugMessagesOf(ours.stderr), [`1 1 ${topic}`]);

      assert.equal((await wrenmq(["pub", ...at(port), "-t", topic, "-n", "-r"])).code, 0);
      const cleared = await mosquittoSub([...at(port), ...FORMAT, "-t", topic, "-C", "1", "-W", "1"]);
      assert.deepEqual([cleared.code, messagesOf(cleared.stdout)], [27, []]);
    });
  }
});

describe("payloads: lines, files, stdin", () => {
  const LINES = "one\ntwo\r\n\nlast";

  test("pub -l: one message per line (\"\\r\" kept, an empty line an empty message, a last line without \"\\n\" sent)", async () => {
    const { port } = brokers.mosquitto;
    const topic = topicNew("lines");
    const sub = await subscriber("mosquitto", [...at(port), "-q", "1", "-t", topic, "-C", "4", "-W", "8"]);
    const result = await wrenmq(["pub", ...at(port), "-q", "1", "-t", topic, "-l"], { input: LINES });
    assert.deepEqual([result.code, result.stderr], [0, ""]);
    assert.deepEqual(messagesOf((await sub.done).stdout), [`1 0 ${topic} one`, `1 0 ${topic} two\r`, `1 0 ${topic} `, `1 0 ${topic} last`]);
  });

  test("sub prints mosquitto_pub -l's lines as mosquitto_sub does: with -v \"(null)\" for an empty one, without -v nothing", async () => {
    const { port } = brokers.mosquitto;
    const topic = topicNew("lines");
    const verbose = await subscriber("wrenmq", [...at(port), "-t", topic, "-v", "-C", "4", "-W", "8"]);
    const plain = await subscriber("wrenmq", [...at(port), "-t", topic, "-C", "4", "-W", "8"]);
    assert.equal((await mosquittoPub([...at(port), "-t", topic, "-l"], { input: LINES })).code, 0);
    assert.equal((await verbose.done).stdout, `${topic} one\n${topic} two\r\n${topic} (null)\n${topic} last\n`);
    assert.equal((await plain.done).stdout, "one\ntwo\r\nlast\n");
  });

  // Through mosquitto: its queue per subscriber (1000) holds them all, where the gateway's sim profile (100) drops some, counted.
  test("pub -l: 300 lines at QoS 1 arrive all, in order (stdin waits while 64 are unacknowledged)", async () => {
    const { port } = brokers.mosquitto;
    const topic = topicNew("many");
    const numbers = Array.from({ length: 300 }, (_, i) => String(i));
    const sub = await subscriber("mosquitto", [...at(port), "-q", "1", "-t", topic, "-C", "300", "-W", "8"]);
    const result = await wrenmq(["pub", ...at(port), "-q", "1", "-t", topic, "-l"], { input: `${numbers.join("\n")}\n` });
    assert.deepEqual([result.code, result.stderr], [0, ""]);
    assert.deepEqual(messagesOf((await sub.done).stdout), numbers.map((n) => `1 0 ${topic} ${n}`));
  });

  test("pub -f and -s send every byte (0-255) as one message; a missing file is an error", async () => {
    const { port } = brokers.wrenmq;
    const topic = topicNew("bytes");
    const bytes = Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), Buffer.from("ünï ✓")]);
    writeFileSync(path("payload.bin"), bytes);
    const sub = mosquittoSubLive([...at(port), "-d", "-F", "%x", "-q", "2", "-t", topic, "-C", "2", "-W", "8"]);
    await until(() => /^Subscribed \(mid/m.test(sub.output()), 5000, "mosquitto_sub's SUBACK");
    assert.equal((await wrenmq(["pub", ...at(port), "-q", "1", "-t", topic, "-f", path("payload.bin")])).code, 0);
    assert.equal((await wrenmq(["pub", ...at(port), "-q", "2", "-t", topic, "-s"], { input: bytes })).code, 0);
    const hex = bytes.toString("hex");
    assert.deepEqual((await sub.done).stdout.split("\n").filter((line) => line === hex).length, 2);

    const missing = await wrenmq(["pub", ...at(port), "-t", topic, "-f", path("no-such-file")]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^Error: Unable to open file '.*no-such-file': ENOENT/);
  });
});

describe("sub -C and -W", () => {
  test("-W with nothing to receive: exit 27 and \"Timed out\", as mosquitto_sub", async () => {
    const { port } = brokers.mosquitto;
    const topic = topicNew("silent");
    const [ours, theirs] = await Promise.all([
      wrenmq(["sub", ...at(port), "-t", topic, "-W", "1"]),
      mosquittoSub([...at(port), "-t", topic, "-W", "1"]),
    ]);
    assert.deepEqual([ours.code, ours.stdout, ours.stderr], [27, "", "Timed out\n"]);
    assert.equal(theirs.code, ours.code);
  });

  test("-C 2: exit 0 after the second message, the third not printed; -C 3 -W 2 with one message: exit 27 after printing it", async () => {
    const { port } = brokers.mosquitto;
    const topic = topicNew("count");
    const two = await subscriber("wrenmq", [...at(port), "-q", "1", "-t", topic, "-v", "-C", "2", "-W", "8"]);
    const three = await subscriber("wrenmq", [...at(port), "-t", `${topic}/only`, "-C", "3", "-W", "2"]);
    assert.equal((await mosquittoPub([...at(port), "-q", "1", "-t", `${topic}/only`, "-m", "just one"])).code, 0);
    for (const message of ["first", "second", "third"]) {
      assert.equal((await mosquittoPub([...at(port), "-q", "1", "-t", topic, "-m", message])).code, 0);
    }
    const twoResult = await two.done;
    assert.deepEqual([twoResult.code, twoResult.stdout], [0, `${topic} first\n${topic} second\n`]);
    const threeResult = await three.done;
    assert.deepEqual([threeResult.code, threeResult.stdout], [27, "just one\n"]);
    assert.match(threeResult.stderr, /^Timed out$/m);
  });
});

describe("wills and sessions", () => {
  for (const name of ["mosquitto", "wrenmq"]) {
    test(`${name} broker: a wrenmq sub killed with SIGKILL has its will (--will-*) delivered to mosquitto_sub`, async () => {
      const { port } = brokers[name];
      const willTopic = topicNew("will");
      const watcher = await subscriber("mosquitto", [...at(port), "-q", "1", "-t", willTopic, "-C", "1", "-W", "8"]);
      const sub = await subscriber("wrenmq", [...at(port), "-V", "mqttv5", "-t", topicNew("idle"),
        "--will-topic", willTopic, "--will-payload", "gone", "--will-qos", "1", "--will-retain"]);
      sub.child.kill("SIGKILL");
      assert.equal((await sub.done).signal, "SIGKILL");
      const seen = await watcher.done;
      assert.equal(seen.code, 0, seen.stderr);
      assert.deepEqual(messagesOf(seen.stdout), [`1 0 ${willTopic} gone`]);
      const retained = await mosquittoSub([...at(port), ...FORMAT, "-t", willTopic, "-C", "1", "-W", "5"]);
      assert.deepEqual(messagesOf(retained.stdout), [`0 1 ${willTopic} gone`]);
    });
  }

  test("SIGINT ends a wrenmq sub cleanly: exit 0 and no will (the watcher's first message is the one sent after)", async () => {
    const { port } = brokers.mosquitto;
    const willTopic = topicNew("will");
    const watcher = await subscriber("mosquitto", [...at(port), "-t", willTopic, "-C", "1", "-W", "8"]);
    const sub = await subscriber("wrenmq", [...at(port), "-t", topicNew("idle"), "--will-topic", willTopic, "--will-payload", "gone"]);
    sub.child.kill("SIGINT");
    assert.equal((await sub.done).code, 0);
    assert.equal((await mosquittoPub([...at(port), "-t", willTopic, "-m", "after"])).code, 0);
    assert.deepEqual(messagesOf((await watcher.done).stdout), [`0 0 ${willTopic} after`]);
  });

  for (const [name, version, keep] of [["wrenmq", "mqttv311", ["-c"]], ["mosquitto", "mqttv5", ["-c", "-x", "60"]]]) {
    test(`${name} broker, ${version}: ${keep.join(" ")} -i keeps the session; a QoS 1 message sent meanwhile arrives on return`, async () => {
      const { port } = brokers[name];
      const topic = topicNew("session");
      const id = `cli-session-${topicCount}`;
      const args = [...at(port), "-V", version, ...keep, "-i", id, "-q", "1", "-t", topic];
      const first = await subscriber("wrenmq", args);
      first.child.kill("SIGINT");
      assert.equal((await first.done).code, 0);
      assert.equal((await mosquittoPub([...at(port), "-q", "1", "-t", topic, "-m", "while away"])).code, 0);
      const back = await wrenmq(["sub", ...args, "-d", "-C", "1", "-W", "5"]);
      assert.equal(back.code, 0, back.stderr);
      assert.equal(back.stdout, "while away\n");
      assert.match(back.stderr, /session present: yes/);
    });
  }
});

describe("refusals and errors", () => {
  const secure = () => [["mosquitto", mosquittoSecure.port], ["wrenmq", gatewaySecure.port]];

  test("a wrong password: the CONNACK's words on stderr and its code as the exit code, as mosquitto_pub; the right one: 0", async () => {
    for (const [name, port] of secure()) {
      for (const version of ["mqttv311", "mqttv5"]) {
        for (const login of [["-u", "alice", "-P", "wrong"], []]) {
          const args = [...at(port), "-V", version, ...login, "-t", "ok/x", "-m", "x"];
          const [ours, theirs, sub] = await Promise.all([wrenmq(["pub", ...args]), mosquittoPub(args), wrenmq(["sub", ...args.slice(0, -2), "-W", "5"])]);
          const what = `${name}, ${version}, ${login.join(" ") || "no login"}`;
          assert.ok(ours.code >= 4, `${what}: ${ours.code} ${ours.stderr}`);
          assert.equal(ours.code, theirs.code, what);
          assert.equal(sub.code, ours.code, what);
          assert.match(ours.stderr, /^Connection error: Connection Refused: (not authorized|bad user name or password) \(0x[0-9a-f]{2}\)\.\n$/, what);
          assert.equal(Number.parseInt(ours.stderr.match(/\(0x([0-9a-f]{2})\)/)[1], 16), ours.code, what);
        }
        const right = await wrenmq(["pub", ...at(port), "-V", version, "-u", "alice", "-P", "secret", "-t", "ok/x", "-m", "x", "-q", "1"]);
        assert.deepEqual([right.code, right.stderr], [0, ""], `${name}, ${version}`);
      }
    }
  });

  test("MQTT 5: a publish the server refuses (ACL, PUBACK/PUBREC 0x87) exits 135 with the reason in words", async () => {
    for (const [name, port] of secure()) {
      for (const qos of ["1", "2"]) {
        const result = await wrenmq(["pub", ...at(port), "-V", "mqttv5", "-u", "alice", "-P", "secret", "-q", qos, "-t", "denied/x", "-m", "x"]);
        assert.equal(result.code, 0x87, `${name}, QoS ${qos}: ${result.stderr}`);
        assert.equal(result.stderr, "Error: the server refused message 1 on 'denied/x': not authorized (0x87).\n");
      }
    }
  });

  test("every subscription refused (the gateway's read ACL): SUBACK code as exit code; one of two refused: a warning, the run goes on", async () => {
    const args = [...at(gatewaySecure.port), "-u", "alice", "-P", "secret", "-t", "denied/x"];
    const [v311, v5, partly] = await Promise.all([
      wrenmq(["sub", ...args, "-W", "5"]),
      wrenmq(["sub", ...args, "-V", "mqttv5", "-W", "5"]),
      wrenmq(["sub", ...args, "-t", "ok/x", "-V", "mqttv5", "-W", "1"]),
    ]);
    assert.deepEqual([v311.code, v311.stderr], [0x80,
      "Warning: the server refused the subscription to 'denied/x': failure (0x80).\nError: All subscription requests were denied.\n"]);
    assert.deepEqual([v5.code, v5.stderr], [0x87,
      "Warning: the server refused the subscription to 'denied/x': not authorized (0x87).\nError: All subscription requests were denied.\n"]);
    assert.deepEqual([partly.code, partly.stderr], [27,
      "Warning: the server refused the subscription to 'denied/x': not authorized (0x87).\nTimed out\n"]);
  });

  test("CONNECT carries -i, -I, -k, -c, -u and -V (mosquitto's log of each client)", async () => {
    const login = ["-u", "alice", "-P", "secret", "-t", "ok/x", "-m", "x"];
    const port = mosquittoSecure.port;
    assert.equal((await wrenmq(["pub", ...at(port), ...login, "-i", "cli-fields", "-k", "17", "-c", "-V", "mqttv5"])).code, 0);
    assert.equal((await wrenmq(["pub", ...at(port), ...login, "-I", "cli-prefix-", "-V", "31"])).code, 0);
    await until(() => /as cli-prefix-/.test(mosquittoSecure.log()), 3000, "mosquitto's log line");
    assert.match(mosquittoSecure.log(), / as cli-fields \(p5, c0, k17, u'alice'\)/);
    assert.match(mosquittoSecure.log(), / as cli-prefix-\d+ \(p1, c1, k60, u'alice'\)/);
  });

  test("nothing listening on the port: a clear error and exit 1 (no retrying), as mosquitto_pub", async () => {
    const port = await freePort();
    const [pub, sub, theirs] = await Promise.all([
      wrenmq(["pub", ...at(port), "-t", "a", "-m", "x"]),
      wrenmq(["sub", ...at(port), "-t", "a"]),
      mosquittoPub([...at(port), "-t", "a", "-m", "x"]),
    ]);
    for (const result of [pub, sub]) {
      assert.equal(result.code, 1);
      assert.equal(result.stderr, `Error: could not connect to 127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}\n`);
    }
    assert.equal(theirs.code, 1);
  });

  test("the server goes away under a running sub: exit 1, \"connection … was lost\"", async () => {
    const broker = await startWrenmq();
    const sub = await subscriber("wrenmq", [...at(broker.port), "-t", "a"]);
    await broker.stop();
    const result = await sub.done;
    assert.equal(result.code, 1);
    assert.match(result.stderr, new RegExp(`^Error: the connection to 127\\.0\\.0\\.1:${broker.port} was lost`, "m"));
  });

  test("usage errors: the mistake on stderr, exit 1, as mosquitto's tools; --help: the flags on stdout, exit 0", async () => {
    const port = String(await freePort()); // a flag taken by mistake would meet nothing there
    const cases = [
      // [command, arguments, stderr, mosquitto refuses it too]
      ["pub", ["-t", "a", "-m", "x", "-z"], /Unknown option '-z'/, true],
      ["sub", ["-t", "a", "-r"], /Unknown option '-r'/, true],
      ["pub", ["-t", "a", "-m"], /-m needs a value: -m message/, true],
      ["sub", ["-t"], /-t needs a value/, true],
      ["pub", ["-t", "a", "-m", "x", "-q", "3"], /Invalid QoS given to -q: '3'/, true],
      ["pub", ["-t", "a", "-m", "x", "-p", "70000"], /Invalid port given to -p: '70000'/, true],
      ["pub", ["-t", "a/#", "-m", "x"], /Invalid publish topic 'a\/#'/, true],
      ["sub", ["-t", "a/#/b"], /Invalid subscription topic 'a\/#\/b'/, true],
      ["pub", ["-t", "a", "-m", "x", "-l"], /Only one type of message/, true],
      ["pub", ["-t", "a"], /A message is needed/, true],
      ["sub", ["-q", "1"], /You must specify a topic/, true],
      ["sub", ["-t", "a", "-W", "0"], /Invalid timeout given to -W: '0'/, true],
      ["sub", ["-t", "a", "-C", "-1"], /Invalid message count given to -C: '-1'/, true],
      ["pub", ["-t", "a", "-m", "x", "-V", "mqttv4"], /Invalid protocol version 'mqttv4'/, true],
      ["pub", ["-t", "a", "-m", "x", "-c"], /You must provide a client id \(-i\) if you are using the -c option/, true],
      ["pub", ["-t", "a", "-m", "x", "-i", "a", "-I", "b"], /-i and -I cannot be used together/, true],
      ["pub", ["-t", "a", "-m", "x", "-P", "secret"], /-P needs -u/, true],
      ["pub", ["-t", "a", "-m", "x", "--cert", "c.pem"], /Both --cert and --key/, true],
      ["pub", ["-t", "a", "-m", "x", "--will-payload", "p"], /--will-payload, --will-qos and --will-retain need --will-topic/, true],
      ["pub", ["-t", "a", "-m", "x", "stray"], /Unexpected argument 'stray'/, true],
      ["sub", ["-t", "a", "-x", "60"], /-x \(session expiry\) is MQTT 5 only/, false],
    ];
    await Promise.all(cases.map(async ([command, args, stderr, theirsToo]) => {
      const what = `wrenmq ${command} ${args.join(" ")}`;
      const ours = await wrenmq([command, "-p", port, ...args]);
      assert.equal(ours.code, 1, what);
      assert.match(ours.stderr, new RegExp(`^Error: ${stderr.source}.*\\nUse 'wrenmq ${command} --help' to see usage\\.\\n$`), what);
      if (theirsToo) assert.equal((await run(toolPath(`mosquitto_${command}`), ["-p", port, ...args])).code, 1, `mosquitto_${command} ${args.join(" ")}`);
    }));
    for (const args of [[], ["publish"]]) {
      const result = await wrenmq(args);
      assert.equal(result.code, 1);
      assert.match(result.stderr, /^Error: (no command given|unknown command 'publish'): wrenmq pub or wrenmq sub\./);
    }
    for (const command of ["pub", "sub"]) {
      const help = await wrenmq([command, "--help"]);
      assert.equal(help.code, 0);
      for (const flag of ["-h", "-p", "-t", "-q", "-V", "--will-topic", "--cafile", "--insecure", "-d"]) assert.match(help.stdout, new RegExp(`^  ${flag}[ ,]`, "m"), flag);
      assert.equal(/^ {2}-[lW][ ,]/m.test(help.stdout), true);
    }
  });
});

describe("TLS (our gateway's TLS listeners)", () => {
  test("--cafile verifies the server; without it the certificate is refused (exit 1); --insecure skips the check", async () => {
    const login = ["-u", "alice", "-P", "secret"];
    const topic = "ok/tls";
    const sub = await subscriber("mosquitto", [...at(gatewaySecure.port), ...login, "-q", "1", "-t", topic, "-C", "2", "-W", "8"]);
    const tlsAt = at(gatewaySecure.tlsPort);
    const verified = await wrenmq(["pub", ...tlsAt, ...login, "--cafile", path("ca.crt"), "-q", "1", "-t", topic, "-m", "verified"]);
    assert.deepEqual([verified.code, verified.stderr], [0, ""]);
    const unverified = await wrenmq(["pub", ...tlsAt, ...login, "--insecure", "-q", "1", "-t", topic, "-m", "unverified"]);
    assert.deepEqual([unverified.code, unverified.stderr], [0, ""]);
    assert.deepEqual(messagesOf((await sub.done).stdout), [`1 0 ${topic} verified`, `1 0 ${topic} unverified`]);

    const untrusted = await wrenmq(["pub", ...tlsAt, ...login, "--cert", path("client.crt"), "--key", path("client.key"), "-t", topic, "-m", "x"]);
    assert.equal(untrusted.code, 1);
    assert.match(untrusted.stderr, new RegExp(`^Error: could not connect to 127\\.0\\.0\\.1:${gatewaySecure.tlsPort}: .*certificate`));
  });

  test("--cert and --key present a client certificate where the listener requires one; wrenmq sub over TLS", async () => {
    const mtlsAt = at(gatewaySecure.mtlsPort);
    const login = ["-u", "alice", "-P", "secret", "--cafile", path("ca.crt")];
    const certificate = ["--cert", path("client.crt"), "--key", path("client.key")];
    const sub = await subscriber("wrenmq", [...mtlsAt, ...login, ...certificate, "-t", "ok/mtls", "-C", "1", "-W", "8"]);
    assert.equal((await wrenmq(["pub", ...mtlsAt, ...login, ...certificate, "-t", "ok/mtls", "-m", "with certificate"])).code, 0);
    assert.equal((await sub.done).stdout, "with certificate\n");
    const without = await wrenmq(["pub", ...mtlsAt, ...login, "-t", "ok/mtls", "-m", "x"]);
    assert.equal(without.code, 1);
    assert.match(without.stderr, /^Error: (could not connect to|127\.0\.0\.1:\d+ closed the connection|the connection to)/);
  });
});
