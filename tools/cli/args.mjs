// The command line of `wrenmq pub` and `wrenmq sub`: the flags people know from mosquitto_pub
// and mosquitto_sub (Mosquitto 2.0), parsed into one plain config. Pure: no I/O, no exits; a
// mistake throws a UsageError, which wrenmq.mjs prints with a pointer to --help (exit code 1).
//
// FLAGS is the one list of flags: the parser, the usage text and the README's table follow it.

/** A mistake on the command line: printed as "Error: <message>", exit code 1 (as Mosquitto). */
export class UsageError extends Error {}

const PUB = ["pub"];
const SUB = ["sub"];
const BOTH = ["pub", "sub"];

/** MQTT 3.1 / 3.1.1 / 5.0 by the names mosquitto's -V takes. */
const VERSIONS = { mqttv31: 3, 31: 3, mqttv311: 4, 311: 4, mqttv5: 5, 5: 5 };
/** The largest Session Expiry Interval: 4294967295 s, "never expires" (MQTT 5 §3.1.2.11.2). */
const SESSION_EXPIRY_NEVER = 0xffffffff;
/** The largest -W: the longest a Node timer waits (2^31 - 1 ms). */
const TIMEOUT_S_MAX = 2147483;

/**
 * Every flag: its names, the commands that take it, the value it takes (null: a switch), what it
 * sets in the config, and its line of help (one per command where they differ).
 */
const FLAGS = [
  { names: ["-h", "--host"], commands: BOTH, value: "host", help: "server to connect to (default localhost)",
    set: (c, v) => { c.host = v; } },
  { names: ["-p", "--port"], commands: BOTH, value: "port", help: "port (default 1883, 8883 with TLS)",
    set: (c, v, name) => { c.port = integerIn(v, 1, 65535, name, "port"); } },
  { names: ["-t", "--topic"], commands: BOTH, value: "topic", help: { pub: "topic to publish to", sub: "filter to subscribe to; may be repeated" },
    set: (c, v) => { c.topics.push(v); } },
  { names: ["-m", "--message"], commands: PUB, value: "message", help: "send this message",
    set: (c, v, name) => { messageSourceSet(c, "message", name); c.message = v; } },
  { names: ["-f", "--file"], commands: PUB, value: "file", help: "send the contents of a file as one message",
    set: (c, v, name) => { messageSourceSet(c, "file", name); c.file = v; } },
  { names: ["-n", "--null-message"], commands: PUB, value: null, help: "send a zero-length message",
    set: (c, v, name) => { messageSourceSet(c, "null", name); } },
  { names: ["-l", "--stdin-line"], commands: PUB, value: null, help: "send each line of stdin as a message",
    set: (c, v, name) => { messageSourceSet(c, "lines", name); } },
  { names: ["-s", "--stdin-file"], commands: PUB, value: null, help: "send the whole of stdin as one message",
    set: (c, v, name) => { messageSourceSet(c, "stdin", name); } },
  { names: ["-q", "--qos"], commands: BOTH, value: "qos", help: { pub: "QoS 0, 1 or 2 (default 0)", sub: "QoS 0, 1 or 2 of every subscription (default 0)" },
    set: (c, v, name) => { c.qos = integerIn(v, 0, 2, name, "QoS"); } },
  { names: ["-r", "--retain"], commands: PUB, value: null, help: "retain the message",
    set: (c) => { c.retain = true; } },
  { names: ["-i", "--id"], commands: BOTH, value: "id", help: "client id (default: empty, the server assigns one)",
    set: (c, v) => { c.clientId = v; } },
  { names: ["-I", "--id-prefix"], commands: BOTH, value: "prefix", help: "client id: this prefix and the process id",
    set: (c, v) => { c.idPrefix = v; } },
  { names: ["-u", "--username"], commands: BOTH, value: "user", help: "user name",
    set: (c, v) => { c.username = v; } },
  { names: ["-P", "--pw"], commands: BOTH, value: "password", help: "password (needs -u)",
    set: (c, v) => { c.password = v; } },
  { names: ["-k", "--keepalive"], commands: BOTH, value: "seconds", help: "keep alive in seconds, 0 for none (default 60)",
    set: (c, v, name) => { c.keepAlive = integerIn(v, 0, 65535, name, "keepalive"); } },
  { names: ["-V", "--protocol-version"], commands: BOTH, value: "version", help: "mqttv31, mqttv311 or mqttv5 (also 31, 311, 5; default mqttv311)",
    set: (c, v, name) => { c.version = VERSIONS[v] ?? fail(`Invalid protocol version '${v}' for ${name}: mqttv31, mqttv311 or mqttv5.`); } },
  { names: ["-c", "--disable-clean-session"], commands: BOTH, value: null, help: "keep the session (needs -i)",
    set: (c) => { c.clean = false; } },
  { names: ["-x", "--session-expiry-interval"], commands: BOTH, value: "seconds", help: "MQTT 5 session expiry: 0-4294967295, or -1 / ∞ for never",
    set: (c, v, name) => { c.sessionExpiry = v === "-1" || v === "∞" ? SESSION_EXPIRY_NEVER : integerIn(v, 0, SESSION_EXPIRY_NEVER, name, "session expiry interval"); } },
  { names: ["-v", "--verbose"], commands: SUB, value: null, help: "print \"topic payload\" rather than the payload alone",
    set: (c) => { c.verbose = true; } },
  { names: ["-C"], commands: SUB, value: "count", help: "exit after receiving this many messages",
    set: (c, v, name) => { c.count = integerIn(v, 1, Number.MAX_SAFE_INTEGER, name, "message count"); } },
  { names: ["-W"], commands: SUB, value: "seconds", help: "exit after this many seconds, with code 27 (\"Timed out\")",
    set: (c, v, name) => { c.timeoutS = integerIn(v, 1, TIMEOUT_S_MAX, name, "timeout"); } },
  { names: ["--will-topic"], commands: BOTH, value: "topic", help: "topic of the will, published if the connection drops",
    set: (c, v) => { c.will.topic = v; } },
  { names: ["--will-payload"], commands: BOTH, value: "payload", help: "payload of the will (default empty)",
    set: (c, v) => { c.will.payload = v; } },
  { names: ["--will-qos"], commands: BOTH, value: "qos", help: "QoS of the will",
    set: (c, v, name) => { c.will.qos = integerIn(v, 0, 2, name, "will QoS"); } },
  { names: ["--will-retain"], commands: BOTH, value: null, help: "retain the will",
    set: (c) => { c.will.retain = true; } },
  { names: ["--cafile"], commands: BOTH, value: "file", help: "TLS: trust the CA certificates in this PEM file",
    set: (c, v) => { c.cafile = v; } },
  { names: ["--cert"], commands: BOTH, value: "file", help: "TLS: client certificate (PEM, needs --key)",
    set: (c, v) => { c.cert = v; } },
  { names: ["--key"], commands: BOTH, value: "file", help: "TLS: client private key (PEM, needs --cert)",
    set: (c, v) => { c.key = v; } },
  { names: ["--insecure"], commands: BOTH, value: null, help: "TLS: do not verify the server's certificate",
    set: (c) => { c.insecure = true; } },
  { names: ["-d", "--debug"], commands: BOTH, value: null, help: "print the client's events on stderr",
    set: (c) => { c.debug = true; } },
  { names: ["--help"], commands: BOTH, value: null, help: "print this help and exit",
    set: (c) => { c.help = true; } },
];

const FLAG_BY_NAME = new Map(FLAGS.flatMap((flag) => flag.names.map((name) => [name, flag])));

/** The config of `command` ("pub" or "sub") from its arguments; throws UsageError. */
export function argsParse(command, argv) {
  const config = configDefaults(command);
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i];
    const flag = FLAG_BY_NAME.get(name);
    if (!flag || !flag.commands.includes(command)) fail(name.startsWith("-") ? `Unknown option '${name}'.` : `Unexpected argument '${name}' (quote a message that has spaces).`);
    if (flag.value === null) {
      flag.set(config, null, name);
    } else {
      if (i + 1 === argv.length) fail(`${name} needs a value: ${name} ${flag.value}.`);
      i++;
      flag.set(config, argv[i], name);
    }
  }
  if (!config.help) configCheck(config);
  return config;
}

function configDefaults(command) {
  return {
    command, host: "localhost", port: null, topics: [], messageSource: null, message: null, file: null,
    qos: 0, retain: false, clientId: null, idPrefix: null, username: null, password: null, keepAlive: 60,
    version: 4, clean: true, sessionExpiry: null, verbose: false, count: 0, timeoutS: 0,
    will: { topic: null, payload: null, qos: 0, retain: false },
    cafile: null, cert: null, key: null, insecure: false, tls: false, debug: false, help: false,
  };
}

/** The rules between flags, checked once every flag is read (mosquitto's wording where it has one). */
function configCheck(config) {
  const { command, topics, will } = config;
  if (topics.length === 0) fail(command === "pub" ? "A topic is needed: -t topic." : "You must specify a topic to subscribe to: -t filter.");
  if (command === "pub") {
    if (topics.length > 1) fail("-t given more than once: wrenmq pub publishes to one topic.");
    if (!topicNameValid(topics[0])) fail(`Invalid publish topic '${topics[0]}', does it contain '+' or '#'?`);
    if (config.messageSource === null) fail("A message is needed: -m message, -f file, -n, -l or -s.");
  } else {
    for (const filter of topics) {
      if (!topicFilterValid(filter)) fail(`Invalid subscription topic '${filter}', are all '+' and '#' wildcards correct?`);
    }
  }
  if (config.clientId !== null && config.idPrefix !== null) fail("-i and -I cannot be used together.");
  if (config.password !== null && config.username === null) fail("-P needs -u: a password is sent with a user name.");
  if (will.topic === null && (will.payload !== null || will.qos !== 0 || will.retain)) fail("--will-payload, --will-qos and --will-retain need --will-topic.");
  if (will.topic !== null && !topicNameValid(will.topic)) fail(`Invalid will topic '${will.topic}', does it contain '+' or '#'?`);
  if ((config.cert === null) !== (config.key === null)) fail("Both --cert and --key must be given if one of them is.");
  if (config.sessionExpiry !== null && config.version !== 5) fail("-x (session expiry) is MQTT 5 only: add -V mqttv5.");
  // MQTT 5 keeps the session by its expiry interval alone; -c without -x keeps it for ever (as mosquitto).
  if (config.version === 5 && !config.clean && config.sessionExpiry === null) config.sessionExpiry = SESSION_EXPIRY_NEVER;
  const idStable = config.clientId !== null;
  if (!idStable && config.version === 5 && config.sessionExpiry === SESSION_EXPIRY_NEVER) fail("You must provide a client id (-i) if you are using an infinite session expiry interval.");
  if (!idStable && config.version !== 5 && !config.clean) fail("You must provide a client id (-i) if you are using the -c option.");
  config.tls = config.cafile !== null || config.cert !== null || config.insecure;
  config.port ??= config.tls ? 8883 : 1883;
}

function messageSourceSet(config, source, name) {
  if (config.messageSource !== null) fail(`Only one type of message can be sent at once (${name} after another of -m, -f, -n, -l, -s).`);
  config.messageSource = source;
}

function integerIn(text, min, max, name, what) {
  const value = /^[0-9]+$/.test(text) ? Number(text) : NaN;
  if (!(value >= min && value <= max)) fail(`Invalid ${what} given to ${name}: '${text}' (${min}-${max}).`);
  return value;
}

function fail(message) {
  throw new UsageError(message);
}

/** A topic name (MQTT 3.1.1 §4.7.3): not empty, no wildcard, no U+0000. */
function topicNameValid(topic) {
  return topic.length > 0 && !/[+#\u0000]/.test(topic);
}

/** A topic filter (MQTT 3.1.1 §4.7.1): '#' only as the whole last level, '+' only as a whole level. */
function topicFilterValid(filter) {
  if (filter.length === 0 || filter.includes("\u0000")) return false;
  const levels = filter.split("/");
  return levels.every((level, i) => (level === "#" ? i === levels.length - 1 : level === "+" || !/[+#]/.test(level)));
}

/** The --help text of `command`, from FLAGS. */
export function usage(command) {
  const synopsis = command === "pub"
    ? "wrenmq pub -t topic {-m message | -f file | -n | -l | -s} [options]"
    : "wrenmq sub -t filter [-t filter ...] [-v] [-C count] [-W seconds] [options]";
  const about = command === "pub"
    ? "Publishes one message (or one per line of stdin) and exits once the server has acknowledged it."
    : "Subscribes and prints every message received, one per line.";
  const rows = FLAGS.filter((flag) => flag.commands.includes(command))
    .map((flag) => [`${flag.names.join(", ")}${flag.value ? ` ${flag.value}` : ""}`, typeof flag.help === "string" ? flag.help : flag.help[command]]);
  const width = Math.max(...rows.map(([left]) => left.length));
  return [
    `Usage: ${synopsis}`, "", about, "",
    ...rows.map(([left, help]) => `  ${left.padEnd(width)}  ${help}`), "",
    "Exit codes: 0 done; 1 usage, file or network error; the server's reason code when it refuses",
    "the connection (CONNACK), a publish (PUBACK/PUBREC) or every subscription (SUBACK)" + (command === "sub" ? "; 27 -W timed out." : "."),
    "",
  ].join("\n");
}
