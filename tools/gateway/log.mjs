/**
 * The gateway's log, as Mosquitto 2.0.11 writes its own (mosquitto.conf(5) log_dest, log_type,
 * log_timestamp, log_timestamp_format, log_facility; src/logging.c): every message has a type,
 * only the configured types are written, and each line goes to every destination as
 * `<timestamp>: <message>`, the timestamp being Unix seconds unless a format is given.
 *
 *   const logger = new Logger(loggerOptions(config));
 *   logger.notice('New connection from 127.0.0.1:53122 on port 1883.');
 *   logger.reopen();   // SIGHUP: the log file again, for logrotate
 *   brokerEventsLog(broker, logger, { connectionMessages })   // the host's events, worded as Mosquitto
 *
 * Destinations: stdout, stderr, one file (opened for appending; writes are synchronous, so a
 * line is in the file when the call returns), and syslog. Node has no syslog call and the
 * system's /dev/log is a datagram socket Node cannot open, so syslog lines go to one long-lived
 * `logger --prio-prefix` (util-linux) child, each prefixed with its `<priority>`: the facility
 * (daemon, or local0..7 from log_facility) times 8 plus the type's severity, as Mosquitto maps
 * them. Without `logger` or the socket, those lines go to stderr after one warning.
 */
import { spawn } from 'node:child_process';
import { accessSync, closeSync, constants, existsSync, openSync, writeSync } from 'node:fs';
import path from 'node:path';

/** log_type's words for message types ("all" and "none" are not types). */
export const LOG_TYPES = ['error', 'warning', 'notice', 'information', 'subscribe', 'unsubscribe', 'websockets', 'debug'];
/** log_type: "Defaults to error, warning, notice and information." */
export const LOG_TYPES_DEFAULT = ['error', 'warning', 'notice', 'information'];
/** log_dest: "Defaults to stderr." */
export const LOG_DEST_DEFAULT = [{ kind: 'stderr' }];
/** Syslog severities of each type (src/logging.c: subscribe and unsubscribe are LOG_NOTICE, websockets LOG_DEBUG). */
const SYSLOG_SEVERITY = { error: 3, warning: 4, notice: 5, information: 6, subscribe: 5, unsubscribe: 5, websockets: 7, debug: 7 };
/** log_facility: "messages will be logged to the "daemon" facility by default"; N means localN (16 + N). */
const SYSLOG_FACILITY_DAEMON = 3;
const SYSLOG_FACILITY_LOCAL0 = 16;
const SYSLOG_SOCKET = '/dev/log';

/** The strftime conversions log_timestamp_format may use; anything else is refused when the file is read. */
export const TIMESTAMP_CONVERSIONS = ['Y', 'm', 'd', 'H', 'M', 'S', 'z', 's', '%'];

/** Null when `format` uses only TIMESTAMP_CONVERSIONS, else why not. */
export function timestampFormatCheck(format) {
  for (let index = 0; index < format.length; index++) {
    if (format[index] !== '%') continue;
    const conversion = format[index + 1];
    if (conversion === undefined) return "ends with a lone '%'";
    if (!TIMESTAMP_CONVERSIONS.includes(conversion)) {
      return `'%${conversion}' is not supported (only ${TIMESTAMP_CONVERSIONS.map((c) => `%${c}`).join(' ')})`;
    }
    index++;
  }
  return null;
}

const pad2 = (value) => String(value).padStart(2, '0');

/** `date` in `format` (a checked strftime subset), in local time as Mosquitto's localtime() + strftime(). */
export function timestampFormat(format, date) {
  return format.replace(/%(.)/g, (_, conversion) => {
    switch (conversion) {
      case 'Y': return String(date.getFullYear());
      case 'm': return pad2(date.getMonth() + 1);
      case 'd': return pad2(date.getDate());
      case 'H': return pad2(date.getHours());
      case 'M': return pad2(date.getMinutes());
      case 'S': return pad2(date.getSeconds());
      case 's': return String(Math.floor(date.getTime() / 1000));
      case 'z': {
        const offset = -date.getTimezoneOffset();
        const magnitude = Math.abs(offset);
        return `${offset < 0 ? '-' : '+'}${pad2(Math.floor(magnitude / 60))}${pad2(magnitude % 60)}`;
      }
      default: return '%';
    }
  });
}

/** The Logger options of a parsed configuration (config.mjs). */
export function loggerOptions(config) {
  return {
    dests: config.logDest ?? LOG_DEST_DEFAULT,
    types: config.logType ?? LOG_TYPES_DEFAULT,
    timestamp: config.logTimestamp ?? true,
    timestampFormat: config.logTimestampFormat ?? null,
    facility: config.logFacility ?? null,
  };
}

/** The path of `command` on `PATH`, or null. */
function commandFind(command, env) {
  for (const dir of (env.PATH ?? '').split(':')) {
    if (dir === '') continue;
    try {
      accessSync(path.join(dir, command), constants.X_OK);
      return path.join(dir, command);
    } catch { /* not here */ }
  }
  return null;
}

export class Logger {
  /**
   * `options`: { dests: [{ kind: 'stderr' | 'stdout' | 'file' | 'syslog', path? }], types,
   * timestamp, timestampFormat, facility (0..7 or null) }. `io` (tests): stdout, stderr (streams
   * with write), now (a Date), env (PATH for `logger`), syslogSocket. Throws when the log file
   * cannot be opened, with Mosquitto's message.
   */
  constructor(options = {}, io = {}) {
    const { dests = LOG_DEST_DEFAULT, types = LOG_TYPES_DEFAULT, timestamp = true, timestampFormat = null, facility = null } = options;
    this.types = new Set(types);
    this.timestamp = timestamp;
    this.timestampFormat = timestampFormat;
    this.facility = facility === null ? SYSLOG_FACILITY_DAEMON : SYSLOG_FACILITY_LOCAL0 + facility;
    this.stdout = io.stdout ?? process.stdout;
    this.stderr = io.stderr ?? process.stderr;
    this.now = io.now ?? (() => new Date());
    this.env = io.env ?? process.env;
    this.syslogSocket = io.syslogSocket ?? SYSLOG_SOCKET;
    this.toStdout = dests.some((dest) => dest.kind === 'stdout');
    this.toStderr = dests.some((dest) => dest.kind === 'stderr');
    this.filePath = dests.find((dest) => dest.kind === 'file')?.path ?? null;
    this.fileDescriptor = null;
    this.syslog = null;
    if (this.filePath !== null) this.fileOpen();
    if (dests.some((dest) => dest.kind === 'syslog')) this.syslogStart();
  }

  /** True when messages of `type` are written (to stderr or elsewhere). */
  wants(type) {
    return this.types.has(type);
  }

  /** True when the log reaches the terminal's stderr (so a fatal error need not be repeated there). */
  get writesStderr() {
    return this.toStderr || (this.syslog === false);
  }

  error(message) { this.log('error', message); }
  warning(message) { this.log('warning', message); }
  notice(message) { this.log('notice', message); }
  information(message) { this.log('information', message); }
  subscribe(message) { this.log('subscribe', message); }
  unsubscribe(message) { this.log('unsubscribe', message); }
  websockets(message) { this.log('websockets', message); }
  debug(message) { this.log('debug', message); }

  /** Writes `message` as a line of type `type`, if that type is logged. */
  log(type, message) {
    if (!this.types.has(type)) return;
    const line = this.lineFormat(message);
    if (this.toStdout) this.stdout.write(`${line}\n`);
    if (this.toStderr) this.stderr.write(`${line}\n`);
    if (this.fileDescriptor !== null) {
      try {
        writeSync(this.fileDescriptor, `${line}\n`);
      } catch { /* a full disk must not stop the broker; the other destinations still have the line */ }
    }
    if (this.syslog) this.syslog.stdin.write(`<${this.facility * 8 + SYSLOG_SEVERITY[type]}>${line}\n`);
    else if (this.syslog === false && !this.toStderr) this.stderr.write(`${line}\n`);
  }

  /** `<timestamp>: <message>`, or the message alone with log_timestamp false. */
  lineFormat(message) {
    if (!this.timestamp) return message;
    const date = this.now();
    const stamp = this.timestampFormat === null ? String(Math.floor(date.getTime() / 1000)) : timestampFormat(this.timestampFormat, date);
    return `${stamp}: ${message}`;
  }

  /** Closes and opens the log file again (SIGHUP, after logrotate moved it). */
  reopen() {
    if (this.filePath === null) return;
    if (this.fileDescriptor !== null) closeSync(this.fileDescriptor);
    this.fileDescriptor = null;
    try {
      this.fileOpen();
    } catch (error) {
      this.error(`Error: ${error.message}`);
    }
  }

  fileOpen() {
    try {
      this.fileDescriptor = openSync(this.filePath, 'a');
    } catch (error) {
      throw new Error(`Unable to open log file ${this.filePath} for writing: ${error.code ?? error.message}`);
    }
  }

  /** Starts the `logger` child, or falls back to stderr with one warning. */
  syslogStart() {
    const command = commandFind('logger', this.env);
    if (command === null) return this.syslogFallback('logger(1) is not on PATH');
    if (!existsSync(this.syslogSocket)) return this.syslogFallback(`there is no syslog socket at ${this.syslogSocket}`);
    const child = spawn(command, ['--prio-prefix', '--socket-errors=on', '-u', this.syslogSocket, '-t', 'wrenmq'], {
      stdio: ['pipe', 'ignore', 'pipe'], env: this.env,
    });
    let complaint = '';
    child.stderr.on('data', (data) => { complaint += data; });
    child.stdin.on('error', () => {}); // the exit handler below reports it
    child.on('error', (error) => this.syslogFallback(`logger(1) failed: ${error.message}`));
    child.on('exit', (code, signal) => {
      if (this.syslog === child) this.syslogFallback(`logger(1) exited (${signal ?? code})${complaint ? `: ${complaint.trim()}` : ''}`);
    });
    // The child must not keep the gateway alive, nor the gateway wait for it.
    child.unref();
    child.stdin.unref?.();
    child.stderr.unref?.();
    this.syslog = child;
    return undefined;
  }

  /** From now on, syslog lines go to stderr; says so once. */
  syslogFallback(reason) {
    if (this.syslog === false) return;
    this.syslog = false;
    this.log('warning', `Warning: syslog unavailable (${reason}): logging to stderr instead.`);
  }

  /** Closes the file and ends the `logger` child (its last lines are flushed by closing its input). */
  close() {
    if (this.fileDescriptor !== null) closeSync(this.fileDescriptor);
    this.fileDescriptor = null;
    if (this.syslog) {
      const child = this.syslog;
      this.syslog = null; // its exit is expected now: no fallback warning
      child.stdin.end();
    }
  }
}

// ---- the broker host's events, worded as Mosquitto 2.0.11 words them --------------------------

/** Mosquitto's protocol numbers in "(p2, …)": mosq_p_mqtt31 = 1, mosq_p_mqtt311 = 2, mosq_p_mqtt5 = 5. */
const PROTOCOL_NUMBERS = { 3: 1, 4: 2, 5: 5 };

/** Disconnect reasons with Mosquitto's own line (src/loop.c do_disconnect, src/handle_connect.c). */
const DISCONNECT_LINES = {
  'disconnected': ['notice', (id) => `Client ${id} disconnected.`],
  'closed its connection': ['notice', (id) => `Client ${id} closed its connection.`],
  'exceeded timeout': ['notice', (id) => `Client ${id} has exceeded timeout, disconnecting.`],
  'protocol error': ['notice', (id) => `Client ${id} disconnected due to protocol error.`],
  'malformed packet': ['notice', (id) => `Client ${id} disconnected due to malformed packet.`],
  'oversize packet': ['notice', (id) => `Client ${id} disconnected due to oversize packet.`],
  'packet too large': ['notice', (id) => `Client ${id} disconnected due to oversize packet.`],
  'not authorised': ['notice', (id) => `Client ${id} disconnected, not authorised.`],
  'not authorized': ['notice', (id) => `Client ${id} disconnected, not authorised.`],
  'out of memory': ['notice', (id) => `Client ${id} disconnected due to out of memory.`],
  'administrative action': ['notice', (id) => `Client ${id} been disconnected by administrative action.`],
  // Mosquitto logs a takeover at its error level, naming the old connection's client.
  'session taken over': ['error', (id) => `Client ${id} already connected, closing old connection.`],
};

/**
 * Refusals Mosquitto words "not authorised": it says so for a bad password as for a missing one
 * ("Client <unknown> disconnected, not authorised.", checked with 2.0.11), and log watchers
 * (fail2ban and the like) look for that text.
 */
const REFUSALS_NOT_AUTHORISED = new Set(['not authorised', 'not authorized', 'bad user name or password']);

const reasonCode = (code) => (code === null || code === undefined ? '' : ` (reason code 0x${code.toString(16).padStart(2, '0')})`);

/**
 * The log line of one broker host event, as [type, message], or null when it has none.
 * `connectionMessages` false silences accept, connect, disconnect and refuse, as in Mosquitto.
 */
export function brokerEventLine(name, event, { connectionMessages = true } = {}) {
  const id = event.clientId ?? '<unknown>';
  switch (name) {
    case 'accept':
      if (!connectionMessages) return null;
      return ['notice', `New connection from ${event.address} on port ${event.listener}.`];
    case 'connect': {
      if (!connectionMessages) return null;
      const user = event.username === null || event.username === undefined ? '' : `, u'${event.username}'`;
      const protocol = PROTOCOL_NUMBERS[event.version] ?? event.version;
      return ['notice', `New client connected from ${event.address} as ${id} (p${protocol}, c${event.clean ? 1 : 0}, k${event.keepAlive}${user}).`];
    }
    case 'disconnect': {
      if (!connectionMessages) return null;
      const known = DISCONNECT_LINES[event.reason];
      if (known) return [known[0], known[1](id)];
      return ['notice', `Client ${id} disconnected: ${event.reason}${reasonCode(event.code)}.`];
    }
    case 'refuse': {
      if (!connectionMessages) return null;
      if (REFUSALS_NOT_AUTHORISED.has(event.reason)) return ['notice', `Client ${id} disconnected, not authorised.`];
      return ['notice', `Client ${id} disconnected, ${event.reason}${reasonCode(event.code)}.`];
    }
    case 'warning': return ['warning', `Warning: ${event.message}`];
    case 'error': return ['error', `Error: ${event.message}`];
    default: return null;
  }
}

/** The event names brokerEventLine words. */
export const BROKER_EVENTS = ['accept', 'connect', 'disconnect', 'refuse', 'warning', 'error'];

/** Logs `host`'s events (an EventEmitter) through `logger`. False when the host emits none (yet). */
export function brokerEventsLog(host, logger, { connectionMessages = true } = {}) {
  if (typeof host.on !== 'function') return false;
  // Without connection_messages only warnings and errors are logged: the host then has no
  // listener for the per-connection events and does not build them.
  const names = connectionMessages ? BROKER_EVENTS : BROKER_EVENTS.filter((name) => name === 'warning' || name === 'error');
  for (const name of names) {
    host.on(name, (event) => {
      const line = brokerEventLine(name, event ?? {}, { connectionMessages });
      if (line) logger.log(line[0], line[1]);
    });
  }
  return true;
}
