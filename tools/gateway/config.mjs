/**
 * The gateway's configuration: mosquitto.conf(5) (Mosquitto 2.0.11, `man mosquitto.conf`) read
 * with Mosquitto's own rules, so that a file written for Mosquitto means the same here or is
 * refused with a reason. What wrenmq does with each option is in one table, options.mjs.
 *
 *   parseConfig(text, { file }) -> { config, errors, warnings }     never throws on user input
 *   node tools/gateway/config.mjs --options-table                   that table, as Markdown
 *
 * config: { files (the main file, then each included one, as read), listeners: [{ port, host
 * (null: every interface), protocol ('mqtt' | 'websockets'), maxConnections (-1: unlimited),
 * tls: null | { certfile, keyfile, cafile, requireCertificate, useIdentityAsUsername } }],
 * localOnly (no listener in the file), allowAnonymous, passwordFile, aclFile, maxConnections (the
 * listeners' limits added up, -1 if any is unlimited), maxPacketSize, messageSizeLimit,
 * maxInflightMessages, maxQueuedMessages, maxQueuedBytes, retainAvailable, maxKeepalive,
 * sysInterval, persistence, persistenceLocation, persistenceFile, persistentClientExpiration
 * (seconds, or null: never), maxSessionsPerUser (null, { count } or { percent }), pidFile, user,
 * logDest ([{ kind: 'stderr' | 'stdout' | 'syslog' | 'file', path }]), logType (log.mjs
 * LOG_TYPES), logTimestamp, logTimestampFormat, logFacility (0..7, or null: daemon),
 * connectionMessages, bridges (see bridge_config.mjs) }; paths are absolute, and each default
 * is quoted from the man page where it is declared below.
 *
 * `errors` lists every problem as { file, line, message } (1-based line; the message ends with
 * "(line N)"); `warnings`, in the same shape, names each ignored option's line. The config is
 * filled in as well as the valid lines allow, for tools that want to show it; a host must not
 * serve a file whose errors list is not empty.
 *
 * How a line is read (mosquitto.conf(5) FILE FORMAT, and src/conf.c of 2.0.11):
 *  - a line whose very first character is `#` is a comment; so is an empty line. An indented
 *    `  # text` is not a comment (Mosquitto: 'Unknown configuration variable "#"').
 *  - words are separated by spaces only; Mosquitto reads `listener<TAB>1883` as one unknown word,
 *    so a tab anywhere is refused here with that explanation.
 *  - a path option takes the rest of the line, trimmed (paths may contain spaces); a relative
 *    path is resolved against the directory of the file it is in (Mosquitto uses its working
 *    directory). So does log_timestamp_format (a format may contain spaces).
 *  - there are no end-of-line comments: Mosquitto silently ignores words after a number or a
 *    boolean but makes them part of a path, so any extra word is an error here.
 *  - numbers must be decimal integers (Mosquitto's atoi() reads `sys_interval abc` as 0) in the
 *    ranges the man page and Mosquitto's checks give; where Mosquitto quietly maps a value (a
 *    negative max_queued_messages to 0, max_connections -5 to -1, idle_timeout 0 to 1) it is
 *    refused here. Booleans are `true`/`false`, and `1`/`0`, which Mosquitto also accepts.
 *  - a path option given twice is an error (as Mosquitto); a number or boolean given twice
 *    takes the last value (as Mosquitto).
 *
 * include_dir (main file only, as in Mosquitto, which silently skips it in an included file; an
 * error here): at that line, every file in the directory whose name is longer than ".conf" and
 * ends in it is read, in Mosquitto's order (src/conf_includedir.c scmp_p: letters compared
 * without case first, then an upper-case letter before its lower case: 00, 01, A, a, B, b). A
 * directory that cannot be opened is an error, as in Mosquitto 2.0.11 ("Error: Unable to open
 * include_dir '/etc/mosquitto/nope'.", exit code 3). Each file starts afresh, as each of
 * Mosquitto's does: no current bridge, and per-listener options before its first `listener`
 * line configure the default listener; after the include_dir line, the main file carries on
 * with its own. Errors name the included file and its line.
 *
 * Listeners. `listener <port> [bind address]` starts a listener; the per-listener options after
 * it (max_connections, certfile, keyfile, cafile, require_certificate, use_identity_as_username,
 * protocol) apply to it. Per-listener options before the first `listener` line configure
 * Mosquitto's implicit default listener, which `port` (deprecated) also configures; it listens
 * on every interface and comes after the explicit listeners. Mosquitto creates that listener on
 * port 1883 as soon as any of these options appears, even without `port`, and then also forces
 * anonymous access on (seen with 2.0.11: a file holding only `max_connections 5` and
 * `allow_anonymous false` serves anonymous clients on 0.0.0.0:1883), so such a line is an
 * error here unless the file has a `port` line.
 *
 * With no listener at all, Mosquitto 2.0 starts "in local only mode" on 127.0.0.1 and ::1 port
 * 1883 and allows anonymous clients there (allow_anonymous: "Defaults to false, unless no
 * listeners are defined in the configuration file, in which case it set to true, but
 * connections are only allowed from the local machine."). wrenmq does the same with one
 * listener on 127.0.0.1:1883, but honours an explicit `allow_anonymous false` (2.0.11 ignores it).
 *
 * Not supported: per_listener_settings true (every security option applies to every
 * listener), unix socket listeners (port 0), and every option options.mjs marks refused.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { BRIDGE_OPTIONS, bridgeOptionRead, bridgesCheck } from './bridge_config.mjs';
import { PER_LISTENER, listenerCheck, listenerName, listenerNew, listenerResult, listenersOverlapCheck } from './listeners.mjs';
import { LOG_DEST_DEFAULT, LOG_TYPES, LOG_TYPES_DEFAULT, timestampFormatCheck } from './log.mjs';
import { IGNORED, optionFind, OPTIONS, optionsTableMarkdown, REFUSED, SUPPORTED } from './options.mjs';

/** Mosquitto's default port ("port ... Defaults to 1883."). */
export const PORT_DEFAULT = 1883;
/** Where wrenmq listens when the file defines no listener (Mosquitto: 127.0.0.1 and ::1). */
export const LOCAL_ONLY_HOST = '127.0.0.1';
const INT_MAX = 2 ** 31 - 1;
const PORT_SPEC = { kind: 'number', min: 1, max: 65535 };
/** MQTT's largest payload; message_size_limit: "MQTT imposes a maximum payload size of 268435455 bytes." */
const PAYLOAD_SIZE_MAX = 268435455;
/** Lines of one file. A line's place is (file index × FILE_LINES_MAX + line): errors sort by it. */
const FILE_LINES_MAX = 2 ** 24;
/**
 * persistent_client_expiration: "an integer followed by one of h d w m y for hour, day, week,
 * month and year" (src/conf.c: a month is 30 days, a year 365).
 */
const EXPIRATION_UNIT_SECONDS = { h: 3600, d: 86400, w: 7 * 86400, m: 30 * 86400, y: 365 * 86400 };
/** log_dest's words (dlt is refused: no Diagnostic Log and Trace here). */
const LOG_DESTS = ['stderr', 'stdout', 'file', 'syslog', 'topic', 'none', 'dlt'];

/**
 * Global options: config key, kind, range, and the default in the man page's words. `only`:
 * the values wrenmq accepts (another is refused with the option table's note); entries without
 * a key change nothing in the config.
 */
const GLOBALS = {
  /** "Defaults to false, unless no listeners are defined ..., in which case it set to true" */
  allow_anonymous: { key: 'allowAnonymous', kind: 'boolean', default: null },
  /** acl_file: unset means no ACL ("If defined, ... used to control client access to topics") */
  acl_file: { key: 'aclFile', kind: 'path', default: null },
  /** password_file: unset means no password check ("If defined, ... used to control client access") */
  password_file: { key: 'passwordFile', kind: 'path', default: null },
  /** "setting below 20 bytes is forbidden"; "Defaults to no limit." (0) */
  max_packet_size: { key: 'maxPacketSize', kind: 'number', min: 20, max: INT_MAX, default: 0 },
  /** "The default value is 0, which means that all valid MQTT messages are accepted." */
  message_size_limit: { key: 'messageSizeLimit', kind: 'number', min: 0, max: PAYLOAD_SIZE_MAX, default: 0, only: [0, PAYLOAD_SIZE_MAX] },
  /** "Defaults to 20. Set to 0 for no maximum." (Mosquitto refuses more than 65535) */
  max_inflight_messages: { key: 'maxInflightMessages', kind: 'number', min: 0, max: 65535, default: 20 },
  /** "Defaults to 1000. Set to 0 for no maximum (not recommended)." */
  max_queued_messages: { key: 'maxQueuedMessages', kind: 'number', min: 0, max: INT_MAX, default: 1000 },
  /** "Defaults to 0. (No maximum)." wrenmq's meaning: see options.mjs. */
  max_queued_bytes: { key: 'maxQueuedBytes', kind: 'number', min: 0, max: INT_MAX, default: 0 },
  /** "Defaults to true." */
  retain_available: { key: 'retainAvailable', kind: 'boolean', default: true },
  /** "The maximum value allowable, and default value, is 65535. Do not set below 10 seconds." */
  max_keepalive: { key: 'maxKeepalive', kind: 'number', min: 10, max: 65535, default: 65535 },
  /** "If unset, defaults to 10 seconds." "Set to 0 to disable" (Mosquitto refuses > 65535) */
  sys_interval: { key: 'sysInterval', kind: 'number', min: 0, max: 65535, default: 10 },
  /**
   * "If true, connection, subscription and message data will be written to the disk". Mosquitto
   * writes a snapshot every autosave_interval; wrenmq keeps a flash-style log in
   * persistence_location/persistence_file and acknowledges QoS 1/2 only after writing.
   */
  persistence: { key: 'persistence', kind: 'boolean', default: false },
  /** "The path where the persistent database should be stored. If not given, then the current directory is used." */
  persistence_location: { key: 'persistenceLocation', kind: 'path', default: null },
  /** "The filename to use for the persistent database" (Mosquitto: mosquitto.db; wrenmq's file is a flash image). */
  persistence_file: { key: 'persistenceFile', kind: 'name', default: 'wrenmq.flash' },
  /** "If not given (the default), no pid file will be written." */
  pid_file: { key: 'pidFile', kind: 'path', default: null },
  /** "Defaults to mosquitto." wrenmq: unset, no switch (main.mjs). Not a path: given twice, the last wins (src/conf.c). */
  user: { key: 'user', kind: 'string', default: null },
  /** "The default is true." */
  log_timestamp: { key: 'logTimestamp', kind: 'boolean', default: true },
  /** "If left unset, this is the number of seconds since the Unix epoch." */
  log_timestamp_format: { key: 'logTimestampFormat', kind: 'text', default: null, check: timestampFormatCheck },
  /** "messages will be logged to the "daemon" facility by default"; 0..7 is local0..local7 (src/conf.c). */
  log_facility: { key: 'logFacility', kind: 'number', min: 0, max: 7, default: null },
  /** connection_messages: "If set to true, the log will include entries when clients connect and disconnect." (default true) */
  connection_messages: { key: 'connectionMessages', kind: 'boolean', default: true },
  // Options whose Mosquitto default is what wrenmq always does: that value only (options.mjs says why).
  allow_duplicate_messages: { kind: 'boolean', only: [true] },
  allow_zero_length_clientid: { kind: 'boolean', only: [true] },
  check_retain_source: { kind: 'boolean', only: [false] },
  queue_qos0_messages: { kind: 'boolean', only: [false] },
  upgrade_outgoing_qos: { kind: 'boolean', only: [false] },
  /** "Defaults to 0. (No limit)." (Mosquitto maps a negative value to 0.) */
  max_inflight_bytes: { kind: 'number', min: 0, max: INT_MAX, only: [0] },
  /** "Defaults to no limit." (Mosquitto refuses a negative value.) */
  memory_limit: { kind: 'number', min: 0, max: Number.MAX_SAFE_INTEGER, only: [0] },
};

/** Ignored options are still checked, with Mosquitto's own reading of each (src/conf.c). */
const IGNORED_VALUES = {
  auth_plugin_deny_special_chars: { kind: 'boolean' },
  autosave_interval: { kind: 'number', min: 0, max: INT_MAX },
  autosave_on_changes: { kind: 'boolean' },
  set_tcp_nodelay: { kind: 'boolean' },
  retry_interval: { kind: 'number', min: 0, max: INT_MAX },
  websockets_log_level: { kind: 'number', min: 0, max: INT_MAX },
  /** "Websockets headers size must be between 0 and 65535 inclusive." */
  websockets_headers_size: { kind: 'number', min: 0, max: 65535 },
  /** Mosquitto raises a value below 1 to 1 ("idle_timeout interval too low"). */
  idle_timeout: { kind: 'number', min: 1, max: INT_MAX },
  threshold: { kind: 'number', min: 1, max: INT_MAX },
  local_password: { kind: 'string' },
};

/** Supported options read by parseConfig's own code rather than through GLOBALS or PER_LISTENER. */
const SPECIAL = ['listener', 'port', 'per_listener_settings', 'include_dir', 'log_dest', 'log_type',
  'persistent_client_expiration', 'max_sessions_per_user'];

/** The table and the readers agree (our own mistake otherwise, caught when the module loads). */
function optionsTableCheck() {
  for (const [name, { section, status }] of Object.entries(OPTIONS)) {
    const read = section === 'bridge' ? BRIDGE_OPTIONS.has(name)
      : Object.hasOwn(GLOBALS, name) || Object.hasOwn(PER_LISTENER, name) || SPECIAL.includes(name);
    if (status === SUPPORTED && !read) throw new Error(`options.mjs: ${name} is supported but nothing reads it`);
    if (status === IGNORED && !Object.hasOwn(IGNORED_VALUES, name)) throw new Error(`options.mjs: ${name} is ignored but has no IGNORED_VALUES entry`);
    if (status === REFUSED && read && section !== 'bridge') throw new Error(`options.mjs: ${name} is refused but has a reader`);
  }
  for (const name of [...Object.keys(GLOBALS), ...Object.keys(PER_LISTENER), ...SPECIAL]) {
    if (OPTIONS[name]?.status !== SUPPORTED) throw new Error(`options.mjs: ${name} is read but not marked supported`);
  }
}
optionsTableCheck();

/**
 * Mosquitto's include_dir order (src/conf_includedir.c scmp_p): byte by byte, ASCII letters
 * compared without case first, then by their bytes (upper case first). Bytes are C chars,
 * signed on the platforms Debian builds for.
 */
export function includeOrder(a, b) {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  const signed = (byte) => (byte > 127 ? byte - 256 : byte);
  const upper = (byte) => (byte >= 97 && byte <= 122 ? byte - 32 : byte);
  for (let index = 0; index < x.length && index < y.length; index++) {
    const first = signed(x[index]);
    const second = signed(y[index]);
    const result = upper(first) - upper(second);
    if (result !== 0) return result;
    if (first !== second) return first - second;
  }
  return (x.length > y.length ? signed(x[y.length]) : 0) - (y.length > x.length ? signed(y[x.length]) : 0);
}

/** Parses mosquitto.conf text; `file` (its path) anchors relative paths and include_dir. */
export function parseConfig(text, { file } = {}) {
  const files = [file ? path.resolve(file) : null];
  const errors = [];
  const warnings = [];
  const lineOf = (place) => place % FILE_LINES_MAX;
  const fileIndexOf = (place) => Math.floor(place / FILE_LINES_MAX);
  /** Records one problem; returns undefined, the "no value" of the readers below. */
  const fail = (place, message) => { errors.push({ place, message: `${message} (line ${lineOf(place)})` }); };
  const warn = (place, message) => { warnings.push({ place, message: `${message} (line ${lineOf(place)})` }); };
  /** "line 3", or "line 3 of /etc/mosquitto/conf.d/a.conf" when that is not the file of `from`. */
  const placeName = (place, from) => (fileIndexOf(place) === fileIndexOf(from) ? `line ${lineOf(place)}`
    : `line ${lineOf(place)} of ${files[fileIndexOf(place)] ?? '(the main file)'}`);
  const globals = {};
  const globalLines = {};
  const listeners = [];
  const defaultListener = { ...listenerNew(null, null, 0), isDefault: true };
  const defaultOptionLines = [];
  const bridgeState = { bridges: [], current: null };
  const log = { dest: null, destFileLine: null, type: null };

  /** One value of an option, checked; returns undefined (after an error) when unusable. */
  function valueRead(name, spec, args, rest, line, baseDir) {
    if (spec.kind === 'path' || spec.kind === 'text') {
      if (rest === '') return fail(line, `missing argument for '${name}': expected a ${spec.kind === 'path' ? 'path' : 'format'}`);
      if (spec.kind === 'path') return path.resolve(baseDir, rest);
      const why = spec.check?.(rest);
      return why ? fail(line, `${name}: ${why}`) : rest;
    }
    const expected = { number: 'a number', boolean: 'true or false', word: spec.values?.join(' or '), name: 'a file name', string: 'a name' }[spec.kind];
    if (args.length === 0) return fail(line, `missing argument for '${name}': expected ${expected}`);
    if (extraArguments(name, args, 1, line)) return undefined;
    const word = args[0];
    let value;
    if (spec.kind === 'boolean') {
      if (word === 'true' || word === '1') value = true;
      else if (word === 'false' || word === '0') value = false;
      else return fail(line, `${name} must be true or false, not '${word}'`);
    } else if (spec.kind === 'name') {
      if (word.includes('/')) return fail(line, `${name} is a file name, not a path ('${word}'): put the directory in persistence_location`);
      return word;
    } else if (spec.kind === 'string') {
      return word;
    } else if (spec.kind === 'word') {
      if (spec.values.includes(word)) return word;
      return fail(line, `${name} must be ${expected}, not '${word}'`);
    } else {
      if (!/^[+-]?\d+$/.test(word)) return fail(line, `${name} must be a number, not '${word}'`);
      value = Number(word);
      if (value < spec.min || value > spec.max) {
        return fail(line, `${name} ${word} is out of range ${spec.min}..${spec.max}`);
      }
    }
    if (spec.only && !spec.only.includes(value)) return fail(line, `${name} ${word} is not supported: ${OPTIONS[name].note}`);
    return value;
  }

  /** Reports words beyond the first `allowed` (or from a `#` on); true when there were some. */
  function extraArguments(name, args, allowed, line) {
    const comment = args.findIndex((word) => word.startsWith('#'));
    const cut = comment >= 0 ? Math.min(comment, allowed) : allowed;
    if (args.length <= cut) return false;
    const hint = args[cut].startsWith('#') ? ': mosquitto.conf has no end-of-line comments' : '';
    fail(line, `extra argument '${args.slice(cut).join(' ')}' after '${[name, ...args.slice(0, cut)].join(' ')}'${hint}`);
    return true;
  }

  /** The port of `listener` and `port`: 1..65535 (0 is Mosquitto's unix socket listener). */
  function portRead(name, args, line) {
    if (args[0] === '0') return fail(line, `${name} 0 (a unix socket listener) is not supported`);
    return valueRead(name, PORT_SPEC, args, '', line, null);
  }

  /** log_dest: repeatable; the first line replaces the default (stderr), `none` clears what came before. */
  function logDestRead(args, rest, line, baseDir) {
    const kind = args[0];
    if (kind === undefined) return fail(line, `missing argument for 'log_dest': expected ${LOG_DESTS.slice(0, -1).join(', ')}`);
    if (!LOG_DESTS.includes(kind)) return fail(line, `log_dest must be one of ${LOG_DESTS.slice(0, -1).join(', ')}, not '${kind}'`);
    if (kind === 'dlt') return fail(line, 'log_dest dlt is not supported: wrenmq has no Diagnostic Log and Trace output');
    log.dest ??= [];
    if (kind === 'file') {
      // "The file destination requires an additional parameter": the rest of the line (a path).
      const target = rest.slice('file'.length).trim();
      if (target === '') return fail(line, "missing argument for 'log_dest file': expected a path");
      // "Only a single file destination may be configured." (src/conf.c: 'Duplicate "log_dest file" value.')
      if (log.destFileLine !== null) return fail(line, `log_dest file given twice (first on ${placeName(log.destFileLine, line)}): one log file only`);
      log.destFileLine = line;
      log.dest.push({ kind, path: path.resolve(baseDir, target) });
      return undefined;
    }
    if (extraArguments('log_dest', args, 1, line)) return undefined;
    if (kind === 'none') log.dest = [];
    else if (kind === 'topic') warn(line, 'log_dest topic is ignored: wrenmq does not publish its log on $SYS/broker/log yet');
    else if (!log.dest.some((dest) => dest.kind === kind)) log.dest.push({ kind });
    return undefined;
  }

  /** log_type: repeatable; the first line replaces the default, `all` and `none` set every type or none. */
  function logTypeRead(args, line) {
    const type = args[0];
    const words = ['none', 'all', ...LOG_TYPES];
    if (type === undefined) return fail(line, `missing argument for 'log_type': expected ${words.join(', ')}`);
    if (extraArguments('log_type', args, 1, line)) return undefined;
    if (!words.includes(type)) return fail(line, `log_type must be one of ${words.join(', ')}, not '${type}'`);
    log.type ??= new Set();
    if (type === 'none') log.type.clear();
    else if (type === 'all') LOG_TYPES.forEach((each) => log.type.add(each));
    else log.type.add(type);
    return undefined;
  }

  /** persistent_client_expiration <integer><h|d|w|m|y>, in seconds. */
  function expirationRead(args, line) {
    if (args.length === 0) return fail(line, "missing argument for 'persistent_client_expiration': expected a duration such as 14d");
    if (extraArguments('persistent_client_expiration', args, 1, line)) return undefined;
    const match = /^(\d+)([hdwmy])$/.exec(args[0]);
    if (!match) return fail(line, `persistent_client_expiration must be a whole number and one of h, d, w, m, y (hours, days, weeks, months, years), not '${args[0]}'`);
    const seconds = Number(match[1]) * EXPIRATION_UNIT_SECONDS[match[2]];
    if (seconds === 0) return fail(line, 'persistent_client_expiration must be longer than 0 (leave it out to never expire sessions)');
    if (seconds > INT_MAX) return fail(line, `persistent_client_expiration ${args[0]} is more than ${INT_MAX} seconds`);
    globals.persistentClientExpiration = seconds;
    return undefined;
  }

  /** max_sessions_per_user N (sessions) or N% (of the board's session table). */
  function sessionsPerUserRead(args, line) {
    if (args.length === 0) return fail(line, "missing argument for 'max_sessions_per_user': expected a number or a percentage");
    if (extraArguments('max_sessions_per_user', args, 1, line)) return undefined;
    const match = /^(\d+)(%?)$/.exec(args[0]);
    if (!match) return fail(line, `max_sessions_per_user must be a number or a percentage such as 50%, not '${args[0]}'`);
    const value = Number(match[1]);
    if (match[2] === '%') {
      if (value < 1 || value > 100) return fail(line, `max_sessions_per_user ${args[0]} is out of range 1%..100%`);
      globals.maxSessionsPerUser = { percent: value };
    } else {
      if (value > INT_MAX) return fail(line, `max_sessions_per_user ${args[0]} is out of range 0..${INT_MAX}`);
      globals.maxSessionsPerUser = { count: value };
    }
    return undefined;
  }

  /** include_dir: reads the directory's .conf files, in Mosquitto's order, at this line. */
  function includeDirRead(rest, line, baseDir) {
    if (fileIndexOf(line) > 0) {
      return fail(line, 'include_dir in an included file: mosquitto reads include_dir only in the main file (and skips it elsewhere)');
    }
    const dir = valueRead('include_dir', { kind: 'path' }, [], rest, line, baseDir);
    if (dir === undefined) return undefined;
    let names;
    try {
      names = readdirSync(dir);
    } catch (error) {
      return fail(line, `include_dir ${dir} cannot be opened (${error.code ?? error.message})`);
    }
    // "All files that end in '.conf'" (src/conf_includedir.c: and are longer than ".conf").
    const included = names.filter((name) => name.length > '.conf'.length && name.endsWith('.conf')).sort(includeOrder);
    for (const name of included) {
      const target = path.join(dir, name);
      if (target === files[0]) { fail(line, `include_dir ${dir} holds the main file: "The directory specified must not contain the main configuration file."`); continue; }
      let content;
      try {
        content = readFileSync(target, 'utf8');
      } catch (error) {
        fail(line, `${target} (from include_dir) cannot be read (${error.code ?? error.message})`);
        continue;
      }
      files.push(target);
      fileRead(content, files.length - 1);
    }
    return undefined;
  }

  /** Reads one file's lines; `fileIndex` 0 is the main file. */
  function fileRead(source, fileIndex) {
    const baseDir = files[fileIndex] ? path.dirname(files[fileIndex]) : process.cwd();
    // Each file starts on the default listener and outside any bridge, as in src/conf.c, where
    // cur_listener and cur_bridge are local to the reading of one file.
    let current = defaultListener;
    const outerBridge = bridgeState.current;
    bridgeState.current = null;
    const lines = String(source).split('\n');
    const count = Math.min(lines.length, FILE_LINES_MAX - 1);
    for (let index = 0; index < count; index++) {
      const line = fileIndex * FILE_LINES_MAX + index + 1;
      const text = lines[index].replace(/\r+$/, '');
      if (text === '' || text.startsWith('#')) continue;
      if (text.includes('\t')) {
        fail(line, `tab character: mosquitto.conf separates words with spaces only (mosquitto reads '${text.trim().split(' ')[0].replace(/\t/g, '\\t')}' as one word)`);
        continue;
      }
      const words = text.split(' ').filter((word) => word !== '');
      if (words.length === 0) continue;
      const name = words[0];
      const args = words.slice(1);
      const rest = text.slice(text.indexOf(name) + name.length).trim();
      const option = optionFind(name);

      if (option === undefined) {
        if (name.startsWith('#')) fail(line, `unknown option '${name}': a comment's '#' must be the first character of its line`);
        else fail(line, `unknown option '${name}'`);
      } else if (option.status === IGNORED) {
        if (option.section === 'bridge' && bridgeState.current === null) {
          fail(line, `'${name}' before any 'connection' line: bridge options follow the connection they configure`);
        } else if (valueRead(name, IGNORED_VALUES[name], args, rest, line, baseDir) !== undefined) {
          warn(line, `${name} is ignored: ${option.note}`);
        }
      } else if (option.section === 'bridge') {
        bridgeOptionRead(name, args, rest, line, bridgeState, fail, baseDir);
      } else if (option.status === REFUSED) {
        fail(line, `unsupported option '${name}': a Mosquitto option the wrenmq gateway does not implement`);
      } else if (name === 'listener') {
        if (args.length === 0) { fail(line, `missing argument for 'listener': expected a port`); continue; }
        if (extraArguments(name, args, 2, line)) continue;
        const port = portRead('listener', args.slice(0, 1), line);
        if (port === undefined) continue;
        current = listenerNew(port, args[1] ?? null, line);
        listeners.push(current);
      } else if (name === 'port') {
        const port = portRead('port', args, line);
        if (port === undefined) continue;
        defaultListener.port = port; // "Only the latest will be used." (Mosquitto's warning)
        defaultListener.line = line;
      } else if (name === 'per_listener_settings') {
        const value = valueRead(name, { kind: 'boolean' }, args, rest, line, baseDir);
        if (value === true) {
          fail(line, 'per_listener_settings true is not supported: wrenmq applies password_file, acl_file and allow_anonymous to every listener');
        }
      } else if (name === 'include_dir') {
        includeDirRead(rest, line, baseDir);
      } else if (name === 'log_dest') {
        logDestRead(args, rest, line, baseDir);
      } else if (name === 'log_type') {
        logTypeRead(args, line);
      } else if (name === 'persistent_client_expiration') {
        expirationRead(args, line);
      } else if (name === 'max_sessions_per_user') {
        sessionsPerUserRead(args, line);
      } else if (Object.hasOwn(GLOBALS, name)) {
        const spec = GLOBALS[name];
        if ((spec.kind === 'path' || spec.kind === 'text') && globalLines[name] !== undefined && rest !== '') {
          fail(line, `${name} given twice (first on ${placeName(globalLines[name], line)})`);
          continue;
        }
        const value = valueRead(name, spec, args, rest, line, baseDir);
        if (value === undefined || spec.key === undefined) continue;
        globals[spec.key] = value;
        globalLines[name] = line;
      } else {
        const spec = PER_LISTENER[name];
        if (spec.kind === 'path' && current.lines[name] !== undefined && rest !== '') {
          fail(line, `${name} given twice for this listener (first on ${placeName(current.lines[name], line)})`);
          continue;
        }
        const value = valueRead(name, spec, args, rest, line, baseDir);
        if (value === undefined) continue;
        current[spec.key] = value;
        current.lines[name] = line;
        if (current === defaultListener) defaultOptionLines.push({ name, line });
      }
    }
    if (lines.length > count) fail(fileIndex * FILE_LINES_MAX + count, `more than ${FILE_LINES_MAX - 2} lines`);
    bridgeState.current = outerBridge;
  }

  fileRead(text, 0);

  if (defaultListener.port === null) {
    for (const { name, line } of defaultOptionLines) {
      fail(line, `'${name}' before any listener: add a 'listener' line before it (mosquitto would apply it to an implicit listener on port ${PORT_DEFAULT} on every interface)`);
    }
  } else {
    listeners.push(defaultListener);
  }
  for (const listener of listeners) listenerCheck(listener, fail);
  bridgesCheck(bridgeState.bridges, fail);
  listenersOverlapCheck(listeners, fail, placeName);

  const explicit = listeners.length > 0;
  const config = {
    files: files.filter((name) => name !== null),
    listeners: explicit ? listeners.map(listenerResult)
      : [listenerResult(listenerNew(PORT_DEFAULT, LOCAL_ONLY_HOST, 0))],
    localOnly: !explicit,
    allowAnonymous: globals.allowAnonymous ?? !explicit,
    bridges: bridgeState.bridges.map((bridge) => bridgePlaces(bridge, files, lineOf, fileIndexOf)),
  };
  // max_connections is per listener in Mosquitto ("for the current listener"); the top-level
  // figure is what they add up to, -1 when any listener is unlimited: a bound for a connection
  // table shared by all listeners, not a replacement for counting per listener.
  const limits = config.listeners.map((listener) => listener.maxConnections);
  config.maxConnections = limits.includes(-1) ? -1 : limits.reduce((sum, limit) => sum + limit, 0);
  for (const spec of Object.values(GLOBALS)) {
    if (spec.key !== undefined && spec.key !== 'allowAnonymous') config[spec.key] = globals[spec.key] ?? spec.default;
  }
  config.persistentClientExpiration = globals.persistentClientExpiration ?? null;
  config.maxSessionsPerUser = globals.maxSessionsPerUser ?? null;
  config.logDest = log.dest ?? LOG_DEST_DEFAULT.map((dest) => ({ ...dest }));
  config.logType = log.type ? LOG_TYPES.filter((type) => log.type.has(type)) : [...LOG_TYPES_DEFAULT];
  const located = (list) => list.sort((a, b) => a.place - b.place)
    .map(({ place, message }) => ({ file: files[fileIndexOf(place)], line: lineOf(place), message }));
  return { config, errors: located(errors), warnings: located(warnings) };
}

/** A bridge with its lines as { file, line } numbers of its file, not places. */
function bridgePlaces(bridge, files, lineOf, fileIndexOf) {
  const result = { ...bridge, file: files[fileIndexOf(bridge.line)], line: lineOf(bridge.line) };
  result.topics = bridge.topics.map((topic) => ({ ...topic, line: lineOf(topic.line) }));
  if (bridge.tls) result.tls = { ...bridge.tls, line: lineOf(bridge.tls.line) };
  return result;
}

// `node tools/gateway/config.mjs --options-table` prints the option table for README.md.
if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  if (process.argv.length === 3 && process.argv[2] === '--options-table') {
    console.log(optionsTableMarkdown());
  } else {
    console.error('usage: node tools/gateway/config.mjs --options-table');
    process.exitCode = 1;
  }
}
