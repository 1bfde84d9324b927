// Brokers for the interop tests, started by the tests themselves on 127.0.0.1 and free ports:
// our gateway (the WASM broker behind tools/gateway/host.mjs, in this process) and Debian's
// mosquitto (a child process), behind one interface, so a check of the spec can be written once
// and pointed at both.
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BrokerHost } from "../../tools/gateway/host.mjs";

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function waitForPort(port, deadlineMs) {
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const socket = net.connect(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.destroy();
        resolve();
      });
      socket.once("error", () => {
        socket.destroy();
        if (Date.now() > deadlineMs) reject(new Error(`nothing listens on ${port}`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

/** Our gateway with `limits` (board-profile names). */
export async function startWrenmq(limits = {}) {
  const host = new BrokerHost({ limits });
  const { port } = await host.listen(0, "127.0.0.1");
  return { name: "wrenmq", port, host, stop: () => host.close() };
}

/** Debian's mosquitto with `lines` of extra configuration. */
export async function startMosquitto(lines = []) {
  const dir = mkdtempSync(join(tmpdir(), "wrenmq-mosquitto-"));
  const port = await freePort();
  writeFileSync(join(dir, "mosquitto.conf"), [`listener ${port} 127.0.0.1`, "allow_anonymous true", ...lines, ""].join("\n"));
  const binary = ["/usr/sbin/mosquitto", "mosquitto"].find((path) => path);
  const child = spawn(binary, ["-c", join(dir, "mosquitto.conf")], { stdio: "ignore" });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.once("error", (error) => { throw new Error(`cannot start mosquitto (run make setup): ${error.message}`); });
  await waitForPort(port, Date.now() + 5000);
  return {
    name: "mosquitto",
    port,
    stop: async () => {
      child.kill("SIGTERM");
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Runs a command to completion (bounded by `timeoutMs`); resolves with { code, stdout, stderr }. */
export function run(command, args, { timeoutMs = 10000, input } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (data) => { stdout += data; });
    child.stderr.on("data", (data) => { stderr += data; });
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.once("error", reject);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    if (input !== undefined) child.stdin.end(input);
    else child.stdin.end();
  });
}

/** Starts a command and returns it with a promise of its result, for subscribers. */
export function start(command, args, { timeoutMs = 10000 } = {}) {
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (data) => { stdout += data; });
  child.stderr.on("data", (data) => { stderr += data; });
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  const done = new Promise((resolve) => child.once("exit", (code, signal) => {
    clearTimeout(timer);
    resolve({ code, signal, stdout, stderr });
  }));
  return { child, done, output: () => stdout };
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves when `predicate()` holds, polling; rejects after `timeoutMs`. */
export async function until(predicate, timeoutMs = 5000, what = "condition") {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}
