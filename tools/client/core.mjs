// Loads the client core in either build behind one shape: the WASM module (build/wasm/
// wrenmq-client.wasm) or the Espruino bundle (build/espruino/wrenmq-client.js) run under Node.
// Both give the ClientApi calls of firmware/platform/client_api.ts and three byte windows,
// `rx`, `tx` and `stage`, so hosts and tests run unchanged on either.
import { readFileSync } from "node:fs";
import { FileFlash, NO_FLASH } from "./flash_file.mjs";

const root = new URL("../../", import.meta.url);
export const CLIENT_WASM = new URL("build/wasm/wrenmq-client.wasm", root);
export const CLIENT_JS = new URL("build/espruino/wrenmq-client.js", root);

export const LIMIT_IDS = {
  packetSizeMax: 1, propertyCountMax: 2, topicFilterCountMax: 3, filterSizeMax: 7, inflightCountMax: 10,
  incomingCountMax: 11, connectTimeoutMs: 15, topicAliasCountMax: 19, outgoingCountMax: 20, storeBytesMax: 21,
  clientSubscriptionCountMax: 22,
};
/** firmware/client/options.ts */
export const OPTION = {
  clientId: 0, username: 1, password: 2, willTopic: 3, willPayload: 4,
  version: 10, keepAlive: 11, cleanStart: 12, sessionExpiry: 13, willQos: 14, willRetain: 15, willDelay: 16,
  reconnectMinMs: 17, reconnectMaxMs: 18, reconnect: 19, queuePolicy: 20, seed: 21, pingTimeoutMs: 22,
  usernameSet: 23, passwordSet: 24, willSet: 25, bridge: 26,
};
export const POLICY = { keepAll: 0, dropOldest: 1, latest: 2 };
/** firmware/client/events.ts */
export const EVENT = {
  none: 0, open: 1, close: 2, connected: 3, refused: 4, disconnected: 5, message: 6, published: 7, dropped: 8,
  subscribed: 9, unsubscribed: 10,
};
export const HANDLE = { unknown: 0, pending: 1, done: 2, dropped: 3, failed: 4 };
export const DROP_NAMES = { 1: "queue full", 2: "replaced by a newer value", 3: "expired", 4: "too large for the server", 5: "session lost", 6: "not supported by the server" };
export const STATE_NAMES = ["idle", "waiting", "opening", "connecting", "connected", "closing"];
/** firmware/client/counters.ts, in order. */
export const CLIENT_COUNTERS = ["messagesSent", "messagesReceived", "bytesSent", "bytesReceived", "connects", "dropQueue",
  "refusedQueueFull", "dropExpired", "dropRefusedByLimits", "duplicates", "protocolErrors", "eventsDropped", "unknownAcks",
  "publishFailed", "pingTimeouts", "qos2Forgotten", "storeFailed"];

/** Default client limits on the Node host (the pi-gateway's scale). */
export const HOST_CLIENT_LIMITS = {
  packetSizeMax: 262144, propertyCountMax: 32, topicFilterCountMax: 16, filterSizeMax: 256, inflightCountMax: 100,
  incomingCountMax: 100, topicAliasCountMax: 16, outgoingCountMax: 1000, storeBytesMax: 4 << 20, clientSubscriptionCountMax: 64,
};


/**
 * Returns { api, rx, tx, stage, heapTop, build, flash } with `limits` set and `init` done.
 * `build`: "wasm" or "js". `flash`: { path, sectorSize, sectorCount, writeSize } keeps the
 * outbox and QoS 2 receipts in a LogStore in that file (WASM build only), so they survive a
 * restart: call `api.restore(now)` before starting.
 */
export function loadClientCore({ build = "wasm", limits = HOST_CLIENT_LIMITS, flash = null } = {}) {
  let api;
  let heapTop = () => 0;
  let fileFlash = null;
  if (flash && build !== "wasm") throw new Error("a flash store needs the WASM build");
  if (build === "wasm") {
    const module = new WebAssembly.Module(readFileSync(CLIENT_WASM));
    let instance = null;
    fileFlash = flash ? new FileFlash(flash.path, flash) : null;
    const env = {
      abort: (m, f, line, column) => { throw new Error(`wasm abort at ${line}:${column}`); },
      ...(fileFlash ? fileFlash.imports(() => instance.exports.memory) : NO_FLASH),
    };
    instance = new WebAssembly.Instance(module, { env });
    api = instance.exports;
    heapTop = () => api.heapTop.value;
  } else {
    const sandbox = {};
    new Function("global", readFileSync(CLIENT_JS, "utf8"))(sandbox);
    const inner = sandbox.wrenmqClient.create();
    api = Object.create(inner);
    api.init = () => inner.init(null);
  }
  for (const [name, value] of Object.entries(limits)) {
    const id = LIMIT_IDS[name];
    if (id === undefined) throw new Error(`unknown client limit ${name}`);
    if (api.limitSet(id, Number(value)) !== 0) throw new Error(`limit ${name} refused`);
  }
  const status = fileFlash ? api.initWithFlash(fileFlash.sectorSize, fileFlash.sectorCount, fileFlash.writeSize) : api.init();
  if (status === -100) throw new Error(`the client could not read its flash file ${flash.path}`);
  if (status !== 0) throw new Error(`the client refused its limits (clientLimitsCheck rule ${-status})`);
  let rx, tx, stage;
  if (build === "wasm") {
    const memory = api.memory.buffer; // initialMemory == maximumMemory: never detaches
    rx = new Uint8Array(memory, api.rxPointer(), api.windowSize());
    tx = new Uint8Array(memory, api.txPointer(), api.windowSize());
    stage = new Uint8Array(memory, api.stagePointer(), api.stageSize());
  } else {
    rx = api.rx;
    tx = api.tx;
    stage = api.stage;
  }
  return { api, rx, tx, stage, heapTop, build, flash: fileFlash };
}
