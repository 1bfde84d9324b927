// One connection of a command-line tool: a ClientHost (tools/client/host.mjs) built from the
// parsed flags, with reconnecting off, so a connection that fails or ends is the end of the run.
// The client core decides everything MQTT; this file turns how the connection went into words on
// stderr and an exit code (the table is in args.mjs's usage and README.md).
//
// Invariant: every wait here ends — on the awaited event, or when the connection ends (`ended`),
// or after STOP_WAIT_MS for the clean DISCONNECT.
import { readFileSync } from "node:fs";
import { ClientHost, reasonText } from "../client/host.mjs";

/** Exit codes of our own; the server's reason codes (1-5, 128-162) are the others. */
export const EXIT_OK = 0;
export const EXIT_ERROR = 1;
/** mosquitto_sub's code for -W running out (MOSQ_ERR_TIMEOUT). */
export const EXIT_TIMEOUT = 27;

/** Longest wait for the clean DISCONNECT and the socket's close at the end of a run. */
const STOP_WAIT_MS = 2000;
const VERSION_NAMES = { 3: "MQTT 3.1", 4: "MQTT 3.1.1", 5: "MQTT 5.0" };

/** The end of a run: `message` (if any) goes to stderr, `code` is the exit code. */
export class CliExit extends Error {
  constructor(code, message = "") {
    super(message);
    this.code = code;
  }
}

export class Session {
  /** Builds the client from `config` (args.mjs); reads the TLS files. Connects on `connect()`. */
  constructor(config) {
    this.config = config;
    this.closing = false;
    this.accepted = false;
    this.socketError = null;
    this.disconnectReason = null;
    const clientId = config.clientId
      ?? (config.idPrefix !== null ? `${config.idPrefix}${process.pid}` : config.version === 3 ? `wrenmq_${config.command}_${process.pid}` : "");
    this.clientId = clientId;
    this.client = new ClientHost({ server: serverOf(config), options: optionsOf(config, clientId) });
    this.version = this.client.version;
    if (config.debug) this.debugShow();
    const { client } = this;
    client.on("connect", () => { this.accepted = true; });
    client.on("socketError", (error) => { this.socketError ??= error; });
    client.on("disconnect", (reason) => { this.disconnectReason = reason; });
    /** The CliExit of a connection that ended without `close()` asking; null while it lasts. */
    this.over = null;
    /** Resolves with `over` once it is set. */
    this.ended = new Promise((resolve) => client.on("stopped", () => {
      if (this.closing || this.over) return;
      this.over = this.endedExit();
      resolve(this.over);
    }));
  }

  /** Connects; throws a CliExit when refused or unreachable. */
  async connect() {
    const { client } = this;
    client.start();
    const refused = client.connected().then(() => null, (error) => error.reason);
    const outcome = await Promise.race([refused, this.ended]);
    if (outcome === null) return;
    if (outcome instanceof CliExit) throw outcome;
    const { code, text } = this.refusalOf(outcome);
    throw new CliExit(code, `Connection error: Connection Refused: ${text}.`);
  }

  /** Resolves with { status, reason } when `handle` finishes, or { status: "lost" } if the connection ends first. */
  settled(handle) {
    return Promise.race([this.client.settled(handle), this.ended.then(() => ({ status: "lost", reason: 0 }))]);
  }

  /** The code and words for a server's refusal `reason` (a CONNACK, PUBACK, PUBREC or SUBACK code). */
  refusalOf(reason) {
    const text = this.version !== 5 && reason === 0x80 ? "failure (0x80)" : reasonText(reason, this.version);
    return { code: reason, text };
  }

  /** Disconnects cleanly (so the server discards the will), waiting at most STOP_WAIT_MS. */
  async close() {
    this.closing = true;
    let timer;
    const waited = new Promise((resolve) => { timer = setTimeout(resolve, STOP_WAIT_MS); });
    await Promise.race([this.client.stop(0), waited]);
    clearTimeout(timer);
    this.client.destroySocket();
  }

  /** Why the connection ended, in words: it never opened, the server closed it, or it dropped. */
  endedExit() {
    const { host, port } = this.config;
    const where = `${host}:${port}`;
    if (!this.accepted) {
      if (this.socketError) return new CliExit(EXIT_ERROR, `Error: could not connect to ${where}: ${this.socketError.message}`);
      return new CliExit(EXIT_ERROR, `Error: ${where} closed the connection before accepting it (is it an MQTT server, and does it speak ${VERSION_NAMES[this.version]}?)`);
    }
    // The reason is the server's DISCONNECT or the client's own (a protocol error); 0x80 is also
    // what the core reports when the server just went away (events.ts), so it says nothing.
    const reason = this.disconnectReason;
    const known = reason !== null && reason !== 0 && reason !== 0x80;
    const why = this.socketError ? `: ${this.socketError.message}` : known ? `: ${reasonText(reason, 5)}` : "";
    return new CliExit(EXIT_ERROR, `Error: the connection to ${where} was lost${why}`);
  }

  /** -d: the client's events, one line each, on stderr. */
  debugShow() {
    const { client, config } = this;
    const show = (line) => process.stderr.write(`debug: ${line}\n`);
    const id = this.clientId === "" ? "(assigned by the server)" : `'${this.clientId}'`;
    show(`connecting to ${config.host}:${config.port}${config.tls ? " over TLS" : ""} with ${VERSION_NAMES[this.version]}, client id ${id}`);
    client.on("connect", (sessionPresent) => show(`connected (session present: ${sessionPresent ? "yes" : "no"})`));
    client.on("refused", (reason) => show(`refused: ${this.refusalOf(reason).text}`));
    client.on("published", (handle, reason) => show(`publish #${handle} finished (reason 0x${hex(reason)})`));
    client.on("dropped", (handle, reason) => show(`publish #${handle} dropped (cause ${reason})`));
    client.on("subscribed", (handle, reason) => show(`subscribe #${handle} answered (reason 0x${hex(reason)})`));
    client.on("message", (topic, payload, { qos, retain, dup }) => show(`message on '${topic}' (QoS ${qos}, retain ${retain ? 1 : 0}, dup ${dup ? 1 : 0}, ${payload.length} bytes)`));
    client.on("disconnect", (reason) => show(`disconnected (reason 0x${hex(reason)})`));
    client.on("socketError", (error) => show(`socket error: ${error.message}`));
    client.on("stopped", () => show("socket closed"));
  }
}

function hex(value) {
  return value.toString(16).padStart(2, "0");
}

function serverOf(config) {
  const { host, port } = config;
  if (!config.tls) return { host, port, tls: null };
  const file = (path, what) => {
    try {
      return readFileSync(path);
    } catch (error) {
      throw new CliExit(EXIT_ERROR, `Error: cannot read the ${what} '${path}': ${error.message}`);
    }
  };
  return {
    host, port, tls: {
      ca: config.cafile === null ? undefined : file(config.cafile, "CA file"),
      cert: config.cert === null ? undefined : file(config.cert, "certificate"),
      key: config.key === null ? undefined : file(config.key, "key"),
      // Node's TLS can skip the whole check, not the host name alone as mosquitto's --insecure does.
      rejectUnauthorized: !config.insecure,
    },
  };
}

function optionsOf(config, clientId) {
  const { will } = config;
  return {
    version: config.version,
    clientId,
    keepAlive: config.keepAlive,
    clean: config.clean,
    sessionExpiry: config.sessionExpiry ?? undefined,
    username: config.username,
    password: config.password,
    will: will.topic === null ? undefined : { topic: will.topic, payload: will.payload ?? "", qos: will.qos, retain: will.retain },
    reconnect: false,
  };
}
