#!/usr/bin/env node
// The wrenmq gateway:
//   node tools/gateway/main.mjs [--board boards/sim.json] [--config mosquitto.conf] [--port 1883] [--host 127.0.0.1]
//                               [--flash wrenmq.flash]
// Loads the WASM broker sized by the board profile, applies the mosquitto.conf subset
// (tools/gateway/config.mjs: listeners, TLS, WebSocket, security, limits, persistence), and
// serves MQTT. --port/--host replace the listeners with one plain TCP listener (what `make run`
// uses). --flash keeps persistent sessions and retained messages in that flash file, as
// `persistence true` does with persistence_location/persistence_file.
// SIGINT and SIGTERM close every listener and connection, then exit 0.
import { readFileSync } from "node:fs";
import path from "node:path";
import { BrokerHost } from "./host.mjs";
import { parseConfig } from "./config.mjs";
import { parsePasswordFile } from "./passwords.mjs";
import { parseAcl } from "./acl.mjs";
import { Bridge } from "./bridge.mjs";
import { fileFlashGeometry } from "../client/flash_file.mjs";

function argument(name, fallback) {
  const index = process.argv.indexOf(`--${name}`);
  return index > 0 && index + 1 < process.argv.length ? process.argv[index + 1] : fallback;
}

function fail(message) {
  console.error(`wrenmq: ${message}`);
  process.exit(1);
}

/** Reads a file the configuration names, or fails naming the option. */
function readNamed(path, option) {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    return fail(`${option} ${path}: ${error.message}`);
  }
}

/** Parses a password or ACL file; any error stops the gateway with its line numbers. */
function loadTable(path, option, parse) {
  const { errors, ...result } = parse(readNamed(path, option));
  if (errors.length > 0) fail(errors.map((error) => `${path}:${error.line}: ${error.message}`).join("\n"));
  return result;
}

function gatewayOptions(config, board) {
  const limits = { ...board.limits };
  // mosquitto.conf options that size the broker's tables (0 / -1 mean "no limit" there: keep the board's).
  if (config.maxConnections > 0) limits.connectionCountMax = config.maxConnections;
  if (config.maxPacketSize > 0) limits.packetSizeMax = config.maxPacketSize;
  if (config.maxInflightMessages > 0) limits.inflightCountMax = config.maxInflightMessages;
  if (config.maxQueuedMessages > 0) limits.queueCountMax = config.maxQueuedMessages;
  if (config.maxKeepalive > 0 && config.maxKeepalive < 65535) limits.keepAliveMaxSeconds = config.maxKeepalive;
  if (config.retainAvailable === false) limits.retainAvailable = false;
  if (config.sysInterval !== undefined) limits.sysIntervalSeconds = config.sysInterval;
  const security = {
    allowAnonymous: config.allowAnonymous,
    passwords: config.passwordFile ? loadTable(config.passwordFile, "password_file", parsePasswordFile).users : null,
    acl: config.aclFile ? loadTable(config.aclFile, "acl_file", parseAcl).acl : null,
  };
  const listeners = config.listeners.map((listener) => ({
    port: listener.port,
    host: listener.host,
    protocol: listener.protocol,
    tls: listener.tls && {
      cert: readNamed(listener.tls.certfile, "certfile"),
      key: readNamed(listener.tls.keyfile, "keyfile"),
      ca: listener.tls.cafile ? readNamed(listener.tls.cafile, "cafile") : undefined,
      requestCert: listener.tls.requireCertificate,
      useIdentityAsUsername: listener.tls.useIdentityAsUsername,
    },
  }));
  return { limits, security, listeners, flash: flashOptions(config, board, limits) };
}

/**
 * The flash file and its geometry: the board profile's `flash` (sector size, count, write size),
 * with sectors doubled until one holds the largest packet (a record never spans sectors), and
 * as many as keep the board's capacity. null when persistence is off.
 */
function flashOptions(config, board, limits) {
  const file = argument("flash", null);
  if (file === null && !config.persistence) return null;
  const location = config.persistenceLocation ?? process.cwd();
  return { path: file ?? path.join(location, config.persistenceFile ?? "wrenmq.flash"), ...fileFlashGeometry(board, limits.packetSizeMax ?? 4096) };
}

const boardPath = argument("board", new URL("../../boards/sim.json", import.meta.url).pathname);
const board = JSON.parse(readNamed(boardPath, "--board"));
const configPath = argument("config", null);
let config = { listeners: [], allowAnonymous: true };
if (configPath) {
  const parsed = parseConfig(readNamed(configPath, "--config"), { file: configPath });
  if (parsed.errors.length > 0) fail(parsed.errors.map((error) => `${configPath}:${error.line}: ${error.message}`).join("\n"));
  config = parsed.config;
}
const options = gatewayOptions(config, board);
if (argument("port", null) !== null || options.listeners.length === 0) {
  options.listeners = [{ port: Number(argument("port", "1883")), host: argument("host", "127.0.0.1"), protocol: "mqtt", tls: null }];
}

let broker;
try {
  broker = new BrokerHost({ limits: options.limits, security: options.security, flash: options.flash });
} catch (error) {
  fail(error.message);
}
if (options.flash) {
  const { path: file, sectorSize, sectorCount } = options.flash;
  console.log(`wrenmq: persistence in ${file} (${sectorCount} sectors of ${sectorSize} B): ${broker.restored} records restored` +
    (broker.corrupt > 0 ? `, ${broker.corrupt} torn or corrupted records ignored` : ""));
}
for (const listener of options.listeners) {
  try {
    const address = await broker.listen(listener);
    const kind = `${listener.protocol === "websockets" ? "WebSocket" : "MQTT"}${listener.tls ? " over TLS" : ""}`;
    console.log(`wrenmq gateway (board ${board.name}): ${kind} on ${address.address}:${address.port}`);
    if (listener.protocol !== "websockets" && !listener.tls) {
      console.log(`  try: mosquitto_sub -h ${address.address} -p ${address.port} -t '#' -v`);
      console.log(`       mosquitto_pub -h ${address.address} -p ${address.port} -t hello -m world`);
    }
  } catch (error) {
    fail(`cannot listen on ${listener.host}:${listener.port}: ${error.message}`);
  }
}
const bridges = (config.bridges ?? []).map((entry) => {
  // With persistence, each bridge's queue to its upstream has a flash file next to the gateway's.
  const flash = options.flash ? `${options.flash.path}.bridge-${entry.name.replace(/[^A-Za-z0-9_.-]/g, "_")}` : null;
  const bridge = new Bridge(entry, broker, { flash });
  const where = entry.addresses.map((address) => `${address.host}:${address.port}`).join(" ");
  bridge.on("up", () => console.log(`wrenmq: bridge ${entry.name} connected to ${where}`));
  bridge.on("down", () => console.log(`wrenmq: bridge ${entry.name} lost ${where}; queueing (${bridge.status().queued} queued)`));
  bridge.on("log", (line) => console.log(`wrenmq: ${line}`));
  if (bridge.recovered > 0) console.log(`wrenmq: bridge ${entry.name}: ${bridge.recovered} messages recovered from ${flash}`);
  return bridge.start();
});
const stop = async (signal) => {
  console.log(`wrenmq: ${signal}, closing`);
  await Promise.all(bridges.map((bridge) => bridge.stop()));
  await broker.close();
  process.exit(0);
};
process.on("SIGINT", () => stop("SIGINT"));
process.on("SIGTERM", () => stop("SIGTERM"));
