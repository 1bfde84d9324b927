// Goal: with a flash store (a file, on the Node host) a client's queued QoS 1/2 messages outlive
// the process: what `publish` accepted is durable, and is sent after a restart.
// Method: a child process queues numbered QoS 1 messages while no server is reachable, printing
// each number once `publish` has returned; it is killed with SIGKILL mid-stream. A new client on
// the same file must recover every printed message, and deliver it once a server is up.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ClientHost } from "../tools/client/host.mjs";
import { HOST_CLIENT_LIMITS } from "../tools/client/core.mjs";
import { BrokerHost } from "../tools/gateway/host.mjs";
import { freePort, until } from "./support/brokers.mjs";

const LIMITS = { ...HOST_CLIENT_LIMITS, packetSizeMax: 4096, outgoingCountMax: 400 };
const FLASH = { sectorSize: 16384, sectorCount: 16, writeSize: 4 };

const CHILD = `
import { ClientHost } from ${JSON.stringify(new URL("../tools/client/host.mjs", import.meta.url).href)};
const [path, port] = process.argv.slice(1);
const client = new ClientHost({ server: { port: Number(port) }, options: { clientId: "durable", clean: false, reconnect: { minMs: 5000, maxMs: 5000 } },
  core: { limits: ${JSON.stringify(LIMITS)}, flash: { path, ...${JSON.stringify(FLASH)} } } });
for (let n = 0; n < 1000; n++) {
  client.publish("durable/" + (n % 3), String(n), { qos: 1 });
  process.stdout.write(n + "\\n"); // publish returned: the message is in the flash file
  await new Promise((resolve) => setTimeout(resolve, 2));
}
`;

test("messages accepted by publish survive kill -9 of the client's process, and are delivered after restart", async () => {
  const dir = mkdtempSync(join(tmpdir(), "wrenmq-flash-"));
  const path = join(dir, "client.flash");
  const port = await freePort();
  const child = spawn(process.execPath, ["--input-type=module", "-e", CHILD, path, String(port)], { stdio: ["ignore", "pipe", "pipe"] });
  let printed = "";
  let errors = "";
  child.stdout.on("data", (data) => { printed += data; });
  child.stderr.on("data", (data) => { errors += data; });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  await until(() => printed.split("\n").length > 150 || errors !== "", 20000, `the child to queue 150 messages (stderr: ${errors})`);
  child.kill("SIGKILL");
  await exited;
  const accepted = printed.split("\n").filter((line) => /^\d+$/.test(line)).map(Number);
  assert.ok(accepted.length >= 150, `${accepted.length} accepted before the kill`);

  const broker = new BrokerHost({ limits: { packetSizeMax: 4096, queueCountMax: 2000 } }); // room for the whole backlog
  await broker.listen({ port, host: "127.0.0.1" });
  const subscriber = new ClientHost({ server: { port }, options: { clientId: "watcher" } });
  const seen = new Map();
  subscriber.on("message", (topic, payload) => seen.set(Number(payload), topic));
  subscriber.start();
  await subscriber.connected();
  await subscriber.settled(subscriber.subscribe("durable/#", 1));
  const client = new ClientHost({ server: { port }, options: { clientId: "durable", clean: false },
    core: { limits: LIMITS, flash: { path, ...FLASH } } });
  try {
    assert.ok(client.recovered >= accepted.length, `recovered ${client.recovered} of ${accepted.length} accepted`);
    client.start();
    await until(() => accepted.every((n) => seen.has(n)), 10000, `every accepted message delivered (have ${seen.size} of ${accepted.length})`);
    await until(() => client.counters().messagesSent >= client.recovered && client.api.counter(0) > 0, 5000, "sent");
  } finally {
    await client.stop();
    await subscriber.stop();
    await broker.close();
    client.core.flash.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
