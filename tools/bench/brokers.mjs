// The brokers of the broker benchmark (tools/bench/broker.mjs), each started as its own process
// on 127.0.0.1 and a free port, with what the benchmark reads from outside: RSS and CPU time
// from /proc/<pid>.
//
// - wrenmq:    node tools/gateway/main.mjs --board boards/pi-gateway.json --port P --host 127.0.0.1
// - mosquitto: /usr/sbin/mosquitto -c <tmp>/mosquitto.conf (see MOSQUITTO_CONF for what is set, and why)
// - aedes:     node tools/bench/aedes_server.mjs --port P
// - bare:      node tools/bench/bare_server.mjs --port P (node:net accepting sockets: the memory floor)
//
// Children get `ulimit -n` raised to FILES_WANTED where the hard limit allows (1000 idle
// connections need ~1000 descriptors in the broker and as many in the generator).
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

const ROOT = new URL("../../", import.meta.url).pathname;
export const FILES_WANTED = 4096;
export const MOSQUITTO = "/usr/sbin/mosquitto";

/**
 * Mosquitto 2.0.11 configured so that its limits are not what is measured:
 * - max_inflight_messages 0: no cap on outgoing QoS 1/2 in flight per client (default 20);
 * - max_queued_messages 0 and max_queued_bytes 0: no per-client queue cap (default 1000
 *   messages, beyond which QoS 1/2 deliveries are dropped);
 * - set_tcp_nodelay true: Nagle off, as the wrenmq gateway (noDelay) and our aedes server have it;
 * - sys_interval 0: no $SYS publishing during runs; persistence false (the default): no disk;
 * - max_connections -1: unlimited; log_type error + warning to stderr (kept in the log file).
 * memory_limit, message_size_limit and max_packet_size stay at their defaults (no limit).
 */
export function mosquittoConf(port) {
  return [
    `listener ${port} 127.0.0.1`,
    "allow_anonymous true",
    "max_connections -1",
    "max_inflight_messages 0",
    "max_queued_messages 0",
    "max_queued_bytes 0",
    "set_tcp_nodelay true",
    "sys_interval 0",
    "persistence false",
    "log_dest stderr",
    "log_type error",
    "log_type warning",
    "",
  ].join("\n");
}

/** A port that was free a moment ago on 127.0.0.1. */
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

/** The shell's `ulimit -n` (soft) and hard limit for open files. */
export function fileLimits() {
  const run = (flag) => spawnSync("sh", ["-c", `ulimit ${flag} -n`], { encoding: "utf8" }).stdout.trim();
  const parse = (text) => (text === "unlimited" ? Infinity : Number(text));
  return { soft: parse(run("-S")), hard: parse(run("-H")) };
}

/** Builds the WASM broker if it is missing (`make build`). */
export function ensureBuilt() {
  if (existsSync(join(ROOT, "build/wasm/wrenmq-broker.wasm"))) return;
  console.log("build/wasm/wrenmq-broker.wasm missing: running make build");
  const result = spawnSync("make", ["build"], { cwd: ROOT, stdio: "inherit" });
  if (result.status !== 0) throw new Error("make build failed");
}

/** The command line of broker `kind` listening on `port`. */
function commandOf(kind, port, workDir, nodeFlags) {
  switch (kind) {
    case "wrenmq":
      return [process.execPath, ...nodeFlags, join(ROOT, "tools/gateway/main.mjs"), "--board", join(ROOT, "boards/pi-gateway.json"),
        "--port", String(port), "--host", "127.0.0.1"];
    case "mosquitto": {
      const conf = join(workDir, `mosquitto-${port}.conf`);
      writeFileSync(conf, mosquittoConf(port));
      return [MOSQUITTO, "-c", conf];
    }
    case "aedes":
      return [process.execPath, ...nodeFlags, join(ROOT, "tools/bench/aedes_server.mjs"), "--port", String(port), "--host", "127.0.0.1"];
    case "bare":
      return [process.execPath, ...nodeFlags, join(ROOT, "tools/bench/bare_server.mjs"), "--port", String(port), "--host", "127.0.0.1"];
    default:
      throw new Error(`unknown broker ${kind}`);
  }
}

/** Which MQTT version the generator speaks to each broker: 5 where the broker has it (aedes 1.2.0 does not). */
export const PROTOCOL = { wrenmq: 5, mosquitto: 5, aedes: 4, bare: 4 };

export class BrokerProcess {
  /** Starts `kind`; `nodeFlags` go to Node brokers (e.g. --cpu-prof). Resolves once it accepts connections. */
  static async start(kind, { workDir, nodeFlags = [] }) {
    const port = await freePort();
    const argv = commandOf(kind, port, workDir, nodeFlags);
    const logPath = join(workDir, `${kind}-${port}.log`);
    const log = openSync(logPath, "a");
    // exec keeps the pid: /proc/<pid> is the broker's own.
    const child = spawn("sh", ["-c", `ulimit -n ${FILES_WANTED} 2>/dev/null; exec "$@"`, "sh", ...argv], {
      cwd: ROOT, stdio: ["ignore", log, log],
    });
    const broker = new BrokerProcess(kind, port, child, logPath, argv);
    await broker.ready();
    return broker;
  }

  constructor(kind, port, child, logPath, argv) {
    this.kind = kind;
    this.port = port;
    this.child = child;
    this.pid = child.pid;
    this.logPath = logPath;
    this.argv = argv;
    this.version = PROTOCOL[kind];
    this.exited = null;
    child.on("exit", (code, signal) => {
      this.exited = { code, signal };
    });
  }

  get command() {
    return this.argv.map((part) => part.replace(ROOT, "")).join(" ");
  }

  async ready(timeoutMs = 15000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.exited) throw new Error(`${this.kind} exited (${JSON.stringify(this.exited)}) before listening: ${this.log()}`);
      if (await canConnect(this.port)) return;
      if (Date.now() > deadline) throw new Error(`${this.kind} not listening on ${this.port} after ${timeoutMs} ms: ${this.log()}`);
      await sleep(50);
    }
  }

  log() {
    try {
      return readFileSync(this.logPath, "utf8").trim();
    } catch {
      return "";
    }
  }

  /** Resident set size in KB (VmRSS). */
  rssKb() {
    return rssKbOf(this.pid);
  }

  /** CPU time used so far (user + system, all threads), in ms. */
  cpuMs() {
    return cpuMsOf(this.pid);
  }

  /** SIGTERM, then SIGKILL after `timeoutMs`. Resolves when the process has exited. */
  async stop(timeoutMs = 5000) {
    if (this.exited) return this.exited;
    const exited = new Promise((resolve) => this.child.once("exit", (code, signal) => resolve({ code, signal })));
    this.child.kill("SIGTERM");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), timeoutMs);
    const result = await exited;
    clearTimeout(timer);
    return result;
  }
}

const CLOCK_TICKS = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout.trim()) || 100;

/** Resident set size of process `pid` in KB (VmRSS of /proc/<pid>/status). */
export function rssKbOf(pid) {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)[1]);
}

/** CPU time process `pid` has used so far (user + system, all threads), in ms. */
export function cpuMsOf(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function canConnect(port) {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: "127.0.0.1" });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

export function makeWorkDir() {
  return mkdtempSync(join(tmpdir(), "wrenmq-bench-"));
}

export function removeWorkDir(path) {
  rmSync(path, { recursive: true, force: true });
}
