// Goal: the README's first command works: `make run` prints the budget, starts the gateway, and
// a mosquitto_sub / mosquitto_pub pair can use it; SIGTERM stops it cleanly.
// Method: `make -s run` with PORT set to a free port (never 1883), in its own process group;
// wait for the listening line, exchange one message, then SIGTERM the group. Bounded waits.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { freePort, run, start, sleep, until } from "./support/brokers.mjs";

test("make run starts the gateway that mosquitto_sub and mosquitto_pub can use", async () => {
  const port = await freePort();
  const make = spawn("make", ["-s", "run"], {
    cwd: fileURLToPath(new URL("../", import.meta.url)),
    env: { ...process.env, PORT: String(port) },
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  make.stdout.on("data", (data) => { output += data; });
  make.stderr.on("data", (data) => { output += data; });
  const exited = new Promise((resolve) => make.once("exit", (code, signal) => resolve({ code, signal })));
  try {
    await until(() => output.includes(`MQTT on 127.0.0.1:${port}`), 60000, `the gateway to listen on ${port}:\n${output}`);
    assert.match(output, /Memory per board/, "the budget is printed first");
    const sub = start("mosquitto_sub", ["-h", "127.0.0.1", "-p", String(port), "-t", "#", "-v", "-C", "1"]);
    await sleep(300);
    const pub = await run("mosquitto_pub", ["-h", "127.0.0.1", "-p", String(port), "-t", "hello", "-m", "world"]);
    assert.equal(pub.code, 0, pub.stderr);
    assert.equal((await sub.done).stdout.trim(), "hello world");
  } finally {
    process.kill(-make.pid, "SIGTERM");
    const result = await Promise.race([exited, sleep(5000).then(() => null)]);
    if (result === null) process.kill(-make.pid, "SIGKILL");
  }
  assert.match(output, /SIGTERM, closing/, "the gateway shuts down on SIGTERM");
});
