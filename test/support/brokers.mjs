// Brokers for the interop tests, started by the tests themselves on 127.0.0.1 and free ports:
// our gateway (the WASM broker behind tools/gateway/host.mjs, in this process) and Debian's
// mosquitto (a child process), behind one interface, so a check of the spec can be written once
// and pointed at both.
import { spawn } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BrokerHost } from "../../tools/gateway/host.mjs";
import { mosquittoStart } from "./mosquitto.mjs";
import { freePort } from "../../tools/bench/brokers.mjs";

/** A port that was free a moment ago on 127.0.0.1 (one definition, shared with the benchmark). */
export { freePort };


/** Our gateway with `limits` (board-profile names); `flash`: BrokerHost's flash file option. */
export async function startWrenmq(limits = {}, { flash = null } = {}) {
  const host = new BrokerHost({ limits, flash });
  const { port } = await host.listen({ port: 0, host: "127.0.0.1" });
  return { name: "wrenmq", port, host, stop: () => host.close() };
}

/** Debian's mosquitto with `lines` of extra configuration (anonymous clients allowed). */
export async function startMosquitto(lines = []) {
  const dir = mkdtempSync(join(tmpdir(), "wrenmq-mosquitto-"));
  chmodSync(dir, 0o755); // mosquitto started as root drops to the mosquitto user, which must read the config
  const broker = await mosquittoStart(dir, ["allow_anonymous true", ...lines]);
  return {
    name: "mosquitto",
    port: broker.port,
    stop: async () => {
      await broker.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const GATEWAY_MAIN = new URL("../../tools/gateway/main.mjs", import.meta.url).pathname;

/**
 * The gateway as a child process, `node tools/gateway/main.mjs ...args` (for kill -9 and restart
 * on the same files); resolves once it listens: { child, exited (a promise), output() }.
 */
export async function gatewayChild(args) {
  const child = spawn(process.execPath, [GATEWAY_MAIN, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (data) => { output += data; });
  child.stderr.on("data", (data) => { output += data; });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  await until(() => output.includes("MQTT on") || child.exitCode !== null, 10000, "the gateway to listen");
  if (!output.includes("MQTT on")) throw new Error(`the gateway did not start:\n${output}`);
  return { child, exited, output: () => output };
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
    // "close", not "exit": at exit the child's last output may still be in the pipes.
    child.once("close", (code, signal) => {
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
  const done = new Promise((resolve) => child.once("close", (code, signal) => {
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
