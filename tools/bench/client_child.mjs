#!/usr/bin/env node
// One client of the client benchmark (tools/bench/client.mjs), run as its own fresh Node process
// so that each publisher and each idle client is measured alone, as mosquitto_pub and
// mosquitto_sub are. It reports to the parent in JSON lines on stdout.
//
//   node tools/bench/client_child.mjs --mode publish --client C --port P --qos Q --count N --window W
//     Publishes N messages to TOPIC at QoS Q, keeping at most W not yet settled (QoS 0: written
//     to the socket; QoS 1: PUBACK received; QoS 2: PUBCOMP received), then disconnects and exits.
//     Lines: {"event":"connected"}, then {"event":"done", settled, failed, publishMs, cpuMs}.
//   node tools/bench/client_child.mjs --mode idle --client C --port P
//     Connects, prints {"event":"connected"}, and stays connected and idle until stdin closes.
// Exiting any other way prints {"event":"exit", ...} with how far it got.
//
// C: wrenmq (ClientHost, WASM build), wrenmq-js (ClientHost, Espruino bundle under Node),
// mqttjs (MQTT.js, Nagle off as ClientHost and `mosquitto_pub --nodelay` have it), bare (idle
// only: node:net, one socket that sends a CONNECT and reads the CONNACK: the Node floor).
// Every publisher gets a new Buffer per message, as an application would.
import { performance } from "node:perf_hooks";

export const TOPIC = "bench/t";
export const PAYLOAD_SIZE = 64;
/** Digits of the sequence number at the start of each payload (ASCII, so mosquitto_pub -l can send it). */
export const SEQUENCE_DIGITS = 10;

/** Payload of message `sequence`: SEQUENCE_DIGITS decimal digits, then 'x' up to PAYLOAD_SIZE. */
export function payloadOf(sequence) {
  const payload = Buffer.allocUnsafe(PAYLOAD_SIZE);
  payload.fill(0x78, SEQUENCE_DIGITS);
  let rest = sequence;
  for (let i = SEQUENCE_DIGITS - 1; i >= 0; i--) {
    payload[i] = 0x30 + (rest % 10);
    rest = Math.floor(rest / 10);
  }
  return payload;
}

/** The sequence number at the start of a payload, or -1 if it is not one of ours. */
export function sequenceOf(buffer, at) {
  let sequence = 0;
  for (let i = 0; i < SEQUENCE_DIGITS; i++) {
    const digit = buffer[at + i] - 0x30;
    if (digit < 0 || digit > 9) return -1;
    sequence = sequence * 10 + digit;
  }
  return sequence;
}

const say = (line) => process.stdout.write(`${JSON.stringify(line)}\n`);

function argument(name, fallback) {
  const index = process.argv.indexOf(`--${name}`);
  return index > 0 && index + 1 < process.argv.length ? process.argv[index + 1] : fallback;
}

/** Opens client `kind` on `port`; resolves once connected with { publish(topic, payload, qos, onSettled), counters(), stop() }. */
async function open(kind, port, clientId) {
  if (kind === "wrenmq" || kind === "wrenmq-js") {
    const { ClientHost } = await import("../client/host.mjs");
    const client = new ClientHost({
      server: { port }, options: { clientId, version: 4, reconnect: false }, core: { build: kind === "wrenmq" ? "wasm" : "js" },
    });
    client.on("disconnect", (reason) => say({ event: "disconnect", reason }));
    client.on("socketError", (error) => say({ event: "socketError", message: error.message }));
    client.start();
    await client.connected();
    return {
      publish(topic, payload, qos, onSettled) {
        const handle = client.publish(topic, payload, { qos });
        client.settled(handle).then((result) => onSettled(result.status !== "done"));
      },
      counters: () => client.counters(),
      stop: () => client.stop(),
    };
  }
  if (kind === "mqttjs") {
    const { default: mqtt } = await import("mqtt");
    const client = mqtt.connect({ host: "127.0.0.1", port, clientId, protocolVersion: 4, reconnectPeriod: 0 });
    await new Promise((resolve, reject) => {
      client.once("connect", resolve);
      client.once("error", reject);
    });
    client.on("close", () => say({ event: "disconnect" }));
    client.stream.setNoDelay?.(true);
    return {
      publish(topic, payload, qos, onSettled) {
        client.publish(topic, payload, { qos }, (error) => onSettled(Boolean(error)));
      },
      counters: () => null,
      stop: () => client.endAsync(),
    };
  }
  if (kind === "bare") {
    const { default: net } = await import("node:net");
    const socket = net.connect({ port, host: "127.0.0.1", noDelay: true });
    const id = Buffer.from(clientId);
    // CONNECT, MQTT 3.1.1 §3.1: protocol name "MQTT", level 4, clean session, keep alive 60 s, client id.
    const connect = Buffer.concat([Buffer.from([0x10, 12 + id.length, 0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 0x02, 0, 60, 0, id.length]), id]);
    await new Promise((resolve, reject) => {
      socket.once("connect", () => socket.write(connect));
      socket.once("data", resolve); // CONNACK
      socket.once("error", reject);
    });
    return { publish() { throw new Error("bare: idle only"); }, counters: () => null, stop: () => socket.end() };
  }
  throw new Error(`unknown client ${kind}`);
}

/** How far the publisher got: printed if the process exits before "done". */
const state = { mode: "", published: 0, settled: 0, failed: 0, done: false, client: null };

/** Publishes `count` messages keeping at most `window` unsettled; resolves when all have settled. */
async function publishRun(client, qos, count, window) {
  const startedAt = performance.now();
  const cpuBefore = process.cpuUsage();
  let outstanding = 0;
  let finish;
  const done = new Promise((resolve) => { finish = resolve; });
  const onSettled = (failure) => {
    outstanding--;
    state.settled++;
    if (failure) state.failed++;
    if (state.settled === count) finish();
    else pump();
  };
  const pump = () => {
    while (outstanding < window && state.published < count) {
      outstanding++;
      client.publish(TOPIC, payloadOf(state.published++), qos, onSettled);
    }
  };
  pump();
  await done;
  const cpu = process.cpuUsage(cpuBefore);
  return { settled: state.settled, failed: state.failed, publishMs: performance.now() - startedAt, cpuMs: (cpu.user + cpu.system) / 1000 };
}

async function main() {
  const mode = argument("mode", "");
  const kind = argument("client", "");
  const port = Number(argument("port", "1883"));
  state.mode = mode;
  const client = await open(kind, port, `bench-${kind}-${process.pid}`);
  state.client = client;
  say({ event: "connected" });
  if (mode === "publish") {
    const result = await publishRun(client, Number(argument("qos", "0")), Number(argument("count", "0")), Number(argument("window", "100")));
    state.done = true;
    say({ event: "done", ...result });
    await client.stop();
    process.exit(0);
  } else if (mode === "idle") {
    process.stdin.resume();
    process.stdin.on("end", () => {
      state.done = true;
      process.exit(0);
    });
  } else {
    throw new Error(`unknown mode ${mode}`);
  }
}

if (process.argv[1] === new URL(import.meta.url).pathname) {
  process.on("exit", (code) => {
    if (state.done) return;
    // An emptied event loop ends a Node process with code 0: say so, or the parent sees only silence.
    say({ event: "exit", code, published: state.published, settled: state.settled, failed: state.failed, counters: state.client?.counters() ?? null });
  });
  main().catch((error) => {
    say({ event: "error", message: String(error?.stack ?? error) });
    process.exit(1);
  });
}
