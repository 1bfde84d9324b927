#!/usr/bin/env node
// The wrenmq gateway: loads the WASM broker sized by a board profile, applies mosquitto.conf
// (tools/gateway/config.mjs; what each option does is in options.mjs), and serves MQTT.
// `--help` lists the flags. The order of start-up is Mosquitto 2.0.11's (src/mosquitto.c):
// read the configuration, switch to `user` (as root), write pid_file, open the log, then the
// persistence file, the password, ACL and certificate files, the listeners and the bridges.
//
// Everything the gateway says goes through the log (log.mjs: log_dest, log_type, Mosquitto's
// `<seconds>: <message>` lines); only --help, --check and a mistake found before the log is
// open write to stdout/stderr directly, and a fatal error also reaches stderr when the log does
// not. Signals: SIGINT and SIGTERM close every listener and connection and exit 0 (removing the
// pid file); SIGHUP reads password_file and acl_file again (keeping the old tables if either
// has an error) and reopens a log_dest file, as Mosquitto does on its reload signal.
//
// The broker host's events, logged by log.mjs brokerEventsLog in Mosquitto's words (accept,
// connect, disconnect and refuse only with connection_messages true, the default):
//   accept     { address: "127.0.0.1:53122", listener: 1883 }
//   connect    { clientId, username (string | null), address, listener, version (3 | 4 | 5), clean, keepAlive }
//   disconnect { clientId (null before CONNECT), username, address, reason (short English text:
//                "disconnected", "closed its connection", "exceeded timeout", "session taken over", …), code (MQTT 5 reason code sent, or null) }
//   refuse     { clientId, username, address, reason ("not authorised", "bad user name or password", "quota exceeded", …), code }
//   warning    { message }      error { message }
//
// Limits passed to the broker beyond the board profile's: connectionCountMax (max_connections),
// packetSizeMax, inflightCountMax, queueCountMax, keepAliveMaxSeconds, retainAvailable,
// sysIntervalSeconds, persistentExpirySeconds (persistent_client_expiration), outputBytesMax
// (max_queued_bytes, for the host), sessionsPerUserMax (max_sessions_per_user, as a count).
import { spawnSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { accessSync, constants, existsSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { BrokerHost } from "./host.mjs";
import { parseConfig } from "./config.mjs";
import { clientHints } from "./hints.mjs";
import { brokerEventsLog, Logger, loggerOptions } from "./log.mjs";
import { parsePasswordFile } from "./passwords.mjs";
import { parseAcl } from "./acl.mjs";
import { Bridge } from "./bridge.mjs";
import { fileFlashGeometry } from "../client/flash_file.mjs";

const VERSION = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")).version;
const BOARD_DEFAULT = new URL("../../boards/sim.json", import.meta.url).pathname;
/** Sessions in a board's table when its profile does not say (firmware/limits.ts SESSION_COUNT_MAX). */
const SESSION_COUNT_DEFAULT = 64;
/** A stop waits this long for the bridges and the broker to close, then exits anyway. */
const STOP_WAIT_MS = 5000;

/** The flags: name -> the value's name (null: a switch) and one line of help. */
const FLAGS = {
  "--board": { value: "FILE", help: "board profile: sizes every table (default boards/sim.json)" },
  "--config": { value: "FILE", help: "mosquitto.conf to read (default: none, so local-only on 127.0.0.1:1883)" },
  "--port": { value: "N", help: "replace the file's listeners with one plain MQTT listener on port N (1..65535)" },
  "--host": { value: "ADDR", help: "the address of that listener (default 127.0.0.1); also replaces the file's listeners" },
  "--flash": { value: "FILE", help: "keep persistent sessions and retained messages in this flash file (as persistence true)" },
  "--check": { value: null, help: "read the configuration and every file it names, then exit: 0 if the gateway would start, 1 if not" },
  "--help": { value: null, help: "print this help and exit (also -h)" },
};

const USAGE = [
  "Usage: node tools/gateway/main.mjs [--board FILE] [--config FILE] [--port N] [--host ADDR] [--flash FILE] [--check]",
  "",
  "The wrenmq gateway: the WASM MQTT broker, configured with a mosquitto.conf.",
  "",
  ...Object.entries(FLAGS).map(([name, { value, help }]) => `  ${`${name}${value ? ` ${value}` : ""}`.padEnd(16)} ${help}`),
  "",
  "Signals: SIGTERM or SIGINT stop it; SIGHUP reloads password_file and acl_file and reopens the log file.",
  "Exit codes: 0 stopped by a signal, or --check found no problem; 1 a usage, configuration or start-up error.",
].join("\n");

/** Before the log is open (and with --check): the message on stderr, exit 1. Replaced by `fatal` once it is. */
let die = (message) => {
  process.stderr.write(`wrenmq: ${message}\n`);
  process.exit(1);
};

/** The flags of `argv` as { board, config, port, host, flash, check }; a mistake stops with exit code 1. */
function argumentsParse(argv) {
  const values = {};
  for (let index = 0; index < argv.length; index++) {
    const argument = argv[index];
    if (argument === "--help" || argument === "-h") {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    }
    const equals = argument.indexOf("=");
    if (argument.startsWith("--") && equals > 0 && Object.hasOwn(FLAGS, argument.slice(0, equals))) {
      die(`write '${argument.slice(0, equals)} ${argument.slice(equals + 1)}', not '${argument}' (see --help)`);
    }
    if (!Object.hasOwn(FLAGS, argument)) {
      die(argument.startsWith("-") ? `unknown flag '${argument}' (see --help)` : `unexpected argument '${argument}' (see --help)`);
    }
    const name = argument.slice(2);
    if (Object.hasOwn(values, name)) die(`${argument} given twice`);
    if (FLAGS[argument].value === null) {
      values[name] = true;
      continue;
    }
    const value = argv[index + 1];
    if (value === undefined || value.startsWith("-")) die(`${argument} needs a value: ${argument} ${FLAGS[argument].value}`);
    values[name] = value;
    index++;
  }
  if (values.port !== undefined) {
    const port = /^\d+$/.test(values.port) ? Number(values.port) : NaN;
    if (!(port >= 1 && port <= 65535)) die(`--port must be a number from 1 to 65535, not '${values.port}'`);
    values.port = port;
  }
  return values;
}

/** Reads a file the configuration names, or stops naming the option. */
function readNamed(file, option) {
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    return die(`${option} ${file}: ${error.message}`);
  }
}

/** Reads and parses a password or ACL file: { result }, or { problems: ["file:line: message", …] }. */
function tableRead(file, option, parse) {
  let text;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    return { problems: [`${option} ${file}: ${error.message}`] };
  }
  const { errors, ...result } = parse(text);
  if (errors.length > 0) return { problems: errors.map((error) => `${file}:${error.line}: ${error.message}`) };
  return { result };
}

/** The password and ACL tables the configuration names (null where it names none): { passwords, acl } or { problems }. */
function securityTablesRead(config) {
  const passwords = config.passwordFile ? tableRead(config.passwordFile, "password_file", parsePasswordFile) : { result: { users: null } };
  const acl = config.aclFile ? tableRead(config.aclFile, "acl_file", parseAcl) : { result: { acl: null } };
  const problems = [...(passwords.problems ?? []), ...(acl.problems ?? [])];
  return problems.length > 0 ? { problems } : { passwords: passwords.result.users, acl: acl.result.acl };
}

/**
 * max_sessions_per_user as an absolute count for the broker (0: no cap). Unset, one user may
 * hold half the session table when clients log in (password_file, or certificates as user
 * names), so that one leaked login cannot take every session; with anonymous clients only there
 * is one user, and no cap.
 */
function sessionsPerUserMax(config, limits) {
  const table = limits.sessionCountMax ?? SESSION_COUNT_DEFAULT;
  const setting = config.maxSessionsPerUser;
  if (setting?.count !== undefined) return setting.count;
  if (setting?.percent !== undefined) return Math.max(1, Math.floor((table * setting.percent) / 100));
  const logins = config.passwordFile !== null || config.listeners.some((listener) => listener.tls?.useIdentityAsUsername);
  return logins ? Math.max(1, Math.floor(table / 2)) : 0;
}

/** The broker's limits: the board profile's, with the configuration's where it sets one. */
function limitsOf(config, board) {
  const limits = { ...board.limits };
  // mosquitto.conf options that size the broker's tables (0 / -1 mean "no limit" there: keep the board's).
  if (config.maxConnections > 0) limits.connectionCountMax = config.maxConnections;
  if (config.maxPacketSize > 0) limits.packetSizeMax = config.maxPacketSize;
  if (config.maxInflightMessages > 0) limits.inflightCountMax = config.maxInflightMessages;
  if (config.maxQueuedMessages > 0) limits.queueCountMax = config.maxQueuedMessages;
  if (config.maxKeepalive > 0 && config.maxKeepalive < 65535) limits.keepAliveMaxSeconds = config.maxKeepalive;
  if (config.retainAvailable === false) limits.retainAvailable = false;
  if (config.sysInterval !== undefined) limits.sysIntervalSeconds = config.sysInterval;
  // Passed only when set, so a board and host without them run as before.
  if (config.persistentClientExpiration !== null) limits.persistentExpirySeconds = config.persistentClientExpiration;
  if (config.maxQueuedBytes > 0) limits.outputBytesMax = config.maxQueuedBytes;
  const perUser = sessionsPerUserMax(config, limits);
  if (perUser > 0) limits.sessionsPerUserMax = perUser;
  return limits;
}

/** The listeners to open: the file's, or one plain listener when --port or --host says so. */
function listenersOf(config, flags) {
  if (flags.port !== undefined || flags.host !== undefined) {
    return [{ port: flags.port ?? 1883, host: flags.host ?? "127.0.0.1", protocol: "mqtt", tls: null }];
  }
  return config.listeners;
}

/** What BrokerHost.listen takes for `listener`, with its certificate files read. */
function listenOptions(listener) {
  return {
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
  };
}

/**
 * The flash file and its geometry: the board profile's `flash` (sector size, count, write size),
 * with sectors doubled until one holds the largest packet (a record never spans sectors), and
 * as many as keep the board's capacity. null when persistence is off.
 */
function flashOptions(config, board, limits, flashFlag) {
  if (flashFlag === undefined && !config.persistence) return null;
  const location = config.persistenceLocation ?? process.cwd();
  return { path: flashFlag ?? path.join(location, config.persistenceFile ?? "wrenmq.flash"), ...fileFlashGeometry(board, limits.packetSizeMax ?? 4096) };
}

/** The names a TLS certificate is valid for: its DNS and IP subject alternative names, else its CN. */
function certificateNames(pem) {
  try {
    const certificate = new X509Certificate(pem);
    const alternatives = (certificate.subjectAltName ?? "").split(", ").map((entry) => /^(?:DNS|IP Address):(.+)$/.exec(entry)?.[1]).filter(Boolean);
    if (alternatives.length > 0) return alternatives;
    const common = /(?:^|\n)CN=([^\n]+)/.exec(certificate.subject)?.[1];
    return common ? [common] : [];
  } catch {
    return []; // the listener itself will report a bad certificate
  }
}

/** A user's uid and gid, by `id` (which asks NSS, as Mosquitto's getpwnam does), or null. */
function userIds(user) {
  const uid = spawnSync("id", ["-u", user], { encoding: "utf8" });
  const gid = spawnSync("id", ["-g", user], { encoding: "utf8" });
  if (uid.status !== 0 || gid.status !== 0) return null;
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/**
 * user: "When run as root, change to this user and its primary group on startup" (src/mosquitto.c
 * drop_privileges, right after the configuration is read). Unset, wrenmq keeps its user (Mosquitto
 * would switch to `mosquitto`). Returns the lines to log once the log is open.
 */
function privilegesDrop(user) {
  if (typeof process.getuid !== "function" || process.getuid() !== 0) return []; // "If run as a non-root user, this setting has no effect."
  if (user !== null && user !== "root") {
    const ids = userIds(user);
    if (ids === null) die(`Unable to drop privileges to '${user}' because this user does not exist.`);
    try {
      process.initgroups(user, ids.gid);
      process.setgid(ids.gid);
      process.setuid(ids.uid);
    } catch (error) {
      die(`user ${user}: cannot switch to it: ${error.message}`);
    }
  }
  if (process.geteuid() === 0 || process.getegid() === 0) return [["warning", "Warning: wrenmq should not be run as root/administrator."]];
  return [];
}

/** --check: every file the gateway would read, and the broker's limits; exits 0 or 1. */
async function check(config, board, flags, configPath, warnings) {
  for (const warning of warnings) process.stderr.write(`wrenmq: warning: ${warning}\n`);
  const limits = limitsOf(config, board);
  const tables = securityTablesRead(config);
  if (tables.problems) die(tables.problems.join("\n"));
  for (const listener of listenersOf(config, flags)) listenOptions(listener);
  if (config.user !== null && process.getuid?.() === 0 && config.user !== "root" && userIds(config.user) === null) {
    die(`user ${config.user}: this user does not exist`);
  }
  // Files the gateway would create: their directory must exist (and be writable by this user).
  const creatable = [["pid_file", config.pidFile], ["log_dest file", config.logDest.find((dest) => dest.kind === "file")?.path ?? null],
    ["persistence", flashOptions(config, board, limits, flags.flash)?.path ?? null]];
  for (const [option, file] of creatable) {
    if (file === null) continue;
    try {
      accessSync(existsSync(file) ? file : path.dirname(file), constants.W_OK);
    } catch (error) {
      die(`${option} ${file}: ${error.code === "ENOENT" ? "its directory does not exist" : error.message}`);
    }
  }
  try {
    const broker = new BrokerHost({ limits, security: { allowAnonymous: config.allowAnonymous, passwords: tables.passwords, acl: tables.acl } });
    await broker.close();
  } catch (error) {
    die(error.message);
  }
  process.stdout.write(`wrenmq: ${configPath ?? "no --config (local-only defaults)"} with board ${board.name}: OK\n`);
  process.exit(0);
}

// ---- start-up -------------------------------------------------------------------------------

const flags = argumentsParse(process.argv.slice(2));
const boardPath = flags.board ?? BOARD_DEFAULT;
let board;
try {
  board = JSON.parse(readNamed(boardPath, "--board"));
} catch (error) {
  die(`--board ${boardPath}: ${error.message}`);
}
const configPath = flags.config ?? null;
const parsed = parseConfig(configPath ? readNamed(configPath, "--config") : "", configPath ? { file: configPath } : {});
if (parsed.errors.length > 0) die(parsed.errors.map((error) => `${error.file ?? "(no file)"}:${error.line}: ${error.message}`).join("\n"));
const config = parsed.config;
const warnings = parsed.warnings.map((warning) => `${warning.file}:${warning.line}: ${warning.message}`);
if (flags.check) await check(config, board, flags, configPath, warnings);

const early = privilegesDrop(config.user);

let pidWritten = false;
if (config.pidFile !== null) {
  // "If the pid file cannot be written, mosquitto will exit." No directory is created for it.
  try {
    writeFileSync(config.pidFile, `${process.pid}\n`);
    pidWritten = true;
  } catch (error) {
    die(`pid_file ${config.pidFile}: ${error.message}`);
  }
}
process.on("exit", () => {
  if (!pidWritten) return;
  try {
    if (readFileSync(config.pidFile, "utf8").trim() === String(process.pid)) unlinkSync(config.pidFile);
  } catch { /* gone already, or not ours to remove */ }
});

let logger;
try {
  logger = new Logger(loggerOptions(config));
} catch (error) {
  die(error.message);
}
die = (message) => {
  for (const line of message.split("\n")) logger.error(`Error: ${line}`);
  if (!(logger.writesStderr && logger.wants("error"))) process.stderr.write(`wrenmq: ${message}\n`);
  logger.close();
  process.exit(1);
};
for (const [type, message] of early) logger.log(type, message);
logger.information(`wrenmq version ${VERSION} starting`);
for (const file of config.files.slice(1)) logger.information(`Loading config file ${file}`);
logger.information(configPath ? `Config loaded from ${configPath}.` : "Using default config.");
for (const warning of warnings) logger.warning(`Warning: ${warning}`);

const limits = limitsOf(config, board);
const flash = flashOptions(config, board, limits, flags.flash);
const tables = securityTablesRead(config);
if (tables.problems) die(tables.problems.join("\n"));
const listeners = listenersOf(config, flags);
const listenList = listeners.map(listenOptions);

let broker;
try {
  broker = new BrokerHost({ limits, security: { allowAnonymous: config.allowAnonymous, passwords: tables.passwords, acl: tables.acl }, flash });
} catch (error) {
  die(error.message);
}
brokerEventsLog(broker, logger, { connectionMessages: config.connectionMessages });
if (flash) {
  logger.information(`Persistence in ${flash.path} (${flash.sectorCount} sectors of ${flash.sectorSize} B): ${broker.restored} records restored` +
    (broker.corrupt > 0 ? `, ${broker.corrupt} torn or corrupted records ignored` : ""));
}
if (config.localOnly && flags.port === undefined && flags.host === undefined) {
  logger.warning("Starting in local only mode. Connections will only be possible from clients running on this machine.");
}
for (let index = 0; index < listeners.length; index++) {
  const listener = listeners[index];
  let address;
  try {
    address = await broker.listen(listenList[index]);
  } catch (error) {
    die(`cannot listen on ${listener.host ?? "(every interface)"}:${listener.port}: ${error.message}`);
  }
  const kind = `${listener.protocol === "websockets" ? "WebSocket" : "MQTT"}${listener.tls ? " over TLS" : ""}`;
  logger.information(`wrenmq gateway (board ${board.name}): ${kind} on ${address.address}:${address.port}`);
  const names = listener.tls ? certificateNames(listenList[index].tls.cert) : [];
  for (const [type, line] of clientHints(listener, address, config, { certificateNames: names })) logger.log(type, line);
}

const bridges = (config.bridges ?? []).map((entry) => {
  // With persistence, each bridge's queue to its upstream has a flash file next to the gateway's.
  const file = flash ? `${flash.path}.bridge-${entry.name.replace(/[^A-Za-z0-9_.-]/g, "_")}` : null;
  const bridge = new Bridge(entry, broker, { flash: file });
  const where = entry.addresses.map((address) => `${address.host}:${address.port}`).join(" ");
  bridge.on("up", () => logger.notice(`bridge ${entry.name} connected to ${where}`));
  bridge.on("down", () => logger.notice(`bridge ${entry.name} lost ${where}; queueing (${bridge.status().queued} queued)`));
  bridge.on("log", (line) => logger.notice(line));
  if (bridge.recovered > 0) logger.information(`bridge ${entry.name}: ${bridge.recovered} messages recovered from ${file}`);
  return bridge.start();
});
logger.information(`wrenmq version ${VERSION} running`);

/** SIGHUP: password_file and acl_file again (all or nothing), then the log file again. */
function reload() {
  logger.information("Reloading config.");
  if (config.passwordFile !== null || config.aclFile !== null) {
    const fresh = securityTablesRead(config);
    if (fresh.problems) {
      for (const problem of fresh.problems) logger.error(`Error: ${problem}`);
      logger.error("Error: password_file and acl_file not reloaded: the previous ones stay in force.");
    } else if (typeof broker.securityReload !== "function") {
      // TODO(hardening change): BrokerHost.securityReload lands with the host's hardening; until then nothing changes.
      logger.error("Error: password_file and acl_file not reloaded: this broker host has no securityReload().");
    } else {
      broker.securityReload({ passwords: fresh.passwords, acl: fresh.acl });
    }
  }
  logger.reopen();
}

let stopping = false;
async function stop(signal) {
  if (stopping) return;
  stopping = true;
  logger.information(`${signal}, closing.`);
  let timer;
  const closing = (async () => {
    await Promise.all(bridges.map((bridge) => bridge.stop()));
    await broker.close();
  })();
  const late = await Promise.race([closing.then(() => false), new Promise((resolve) => { timer = setTimeout(resolve, STOP_WAIT_MS, true); })]);
  clearTimeout(timer);
  if (late) logger.warning(`Warning: the bridges and listeners did not close within ${STOP_WAIT_MS} ms; exiting anyway.`);
  logger.information(`wrenmq version ${VERSION} terminating`);
  logger.close();
  process.exit(0);
}
process.on("SIGINT", () => stop("SIGINT"));
process.on("SIGTERM", () => stop("SIGTERM"));
process.on("SIGHUP", reload);
