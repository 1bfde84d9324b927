// Prints the size of both builds and the memory each board profile's limits cost:
//   node tools/budget.mjs        (make budget; make run until the broker lands)
// Memory is measured, not computed: the release WASM is initialised with each board's limits
// and the stub runtime's heap top (exported as `heapTop`) is read before and after init.
// The Espruino column counts the same typed arrays and objects; Espruino's own per-object
// overhead (JsVars) is not measured here and comes on top.
import { readFileSync, readdirSync, statSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { NO_FLASH, sectorSizeFor } from "./client/flash_file.mjs";

const root = new URL("../", import.meta.url);
const size = (path) => statSync(new URL(path, root)).size;
const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`;

console.log("wrenmq memory budget\n");
console.log("Code size");
for (const [label, path] of [
  ["WASM release (-O3)", "build/wasm/wrenmq.wasm"],
  ["WASM small (-O3s)", "build/wasm/wrenmq.o3s.wasm"],
  ["WASM checked (debug)", "build/wasm/wrenmq.debug.wasm"],
  ["Espruino bundle (minified)", "build/espruino/wrenmq.js"],
  ["Client WASM, size build (-Oz)", "build/wasm/wrenmq-client.small.wasm"],
  ["Client WASM, host build (-O3)", "build/wasm/wrenmq-client.wasm"],
  ["Client Espruino bundle", "build/espruino/wrenmq-client.js"],
  ["Broker WASM (-O3)", "build/wasm/wrenmq-broker.wasm"],
]) {
  const bytes = size(path);
  const gzip = gzipSync(readFileSync(new URL(path, root))).length;
  console.log(`  ${label.padEnd(28)} ${String(bytes).padStart(7)} B  (${kb(bytes)}, gzip ${kb(gzip)})  ${path}`);
}

function measure(limits) {
  const module = new WebAssembly.Module(readFileSync(new URL("build/wasm/wrenmq.wasm", root)));
  const instance = new WebAssembly.Instance(module, { env: { abort: () => { throw new Error("abort"); } } });
  const { init, heapTop } = instance.exports;
  const before = heapTop.value;
  const status = init(limits.packetSizeMax, limits.propertyCountMax, limits.topicFilterCountMax);
  if (status !== 0) throw new Error(`init refused the limits (${status})`);
  return heapTop.value - before;
}

console.log("\nMemory per board (codec: receive + transmit windows and one decoded-packet set)");
console.log(`  ${"board".padEnd(12)} ${"platform".padEnd(9)} ${"packet".padStart(8)} ${"props".padStart(6)} ${"filters".padStart(8)} ${"windows".padStart(10)} ${"reprs".padStart(9)} ${"total".padStart(10)}`);
const boards = readdirSync(new URL("boards/", root)).filter((name) => name.endsWith(".json")).sort();
for (const file of boards) {
  const board = JSON.parse(readFileSync(new URL(`boards/${file}`, root)));
  const { limits } = board;
  const total = measure(limits);
  const windows = 2 * limits.packetSizeMax;
  console.log(`  ${board.name.padEnd(12)} ${board.platform.padEnd(9)} ${String(limits.packetSizeMax).padStart(8)} ${String(limits.propertyCountMax).padStart(6)} ${String(limits.topicFilterCountMax).padStart(8)} ${kb(windows).padStart(10)} ${kb(total - windows).padStart(9)} ${kb(total).padStart(10)}`);
}
console.log("\nBroker per board (every table: connections, sessions with their queues and in-flight windows,");
console.log("topic table, message pool, retained table, plus the codec), measured the same way");
console.log(`  ${"board".padEnd(12)} ${"conns".padStart(6)} ${"sessions".padStart(8)} ${"subs".padStart(6)} ${"queue".padStart(6)} ${"msgs".padStart(6)} ${"msg bytes".padStart(10)} ${"total".padStart(10)} ${"per conn+session".padStart(17)}`);
const LIMIT_IDS = (await import("./gateway/host.mjs")).LIMIT_IDS;
function measureBroker(limits) {
  const module = new WebAssembly.Module(readFileSync(new URL("build/wasm/wrenmq-broker.wasm", root)));
  // The security and flash imports are never called while only sizing the tables.
  const env = { abort: () => { throw new Error("abort"); }, authenticate: () => 0, authorize: () => 1, ...NO_FLASH };
  const instance = new WebAssembly.Instance(module, { env });
  const { limitSet, init, heapTop } = instance.exports;
  for (const [name, value] of Object.entries(limits)) if (name in LIMIT_IDS) limitSet(LIMIT_IDS[name], Number(value));
  const before = heapTop.value;
  const status = init();
  if (status !== 0) throw new Error(`broker init refused the limits (${status})`);
  return heapTop.value - before;
}
for (const file of boards) {
  const board = JSON.parse(readFileSync(new URL(`boards/${file}`, root)));
  const l = board.limits;
  const total = measureBroker(l);
  const more = measureBroker({ ...l, connectionCountMax: l.connectionCountMax + 1, sessionCountMax: l.sessionCountMax + 1 });
  console.log(`  ${board.name.padEnd(12)} ${String(l.connectionCountMax).padStart(6)} ${String(l.sessionCountMax).padStart(8)} ${String(l.subscriptionCountMax).padStart(6)} ${String(l.queueCountMax).padStart(6)} ${String(l.messageCountMax).padStart(6)} ${String(l.messageBytesMax).padStart(10)} ${kb(total).padStart(10)} ${`${more - total} B`.padStart(17)}`);
}
console.log("\nClient per board (windows, outbox, memory store, subscriptions, aliases, QoS 2 receive state, events),");
console.log("measured the same way on the client's host build");
console.log(`  ${"board".padEnd(12)} ${"outbox".padStart(7)} ${"store".padStart(9)} ${"subs".padStart(5)} ${"inflight".padStart(9)} ${"incoming".padStart(9)} ${"total".padStart(10)}`);
const { loadClientCore, HOST_CLIENT_LIMITS, LIMIT_IDS: CLIENT_LIMIT_IDS } = await import("./client/core.mjs");
for (const file of boards) {
  const board = JSON.parse(readFileSync(new URL(`boards/${file}`, root)));
  const limits = Object.fromEntries(Object.entries(board.limits).filter(([name]) => name in CLIENT_LIMIT_IDS));
  const defaults = { outgoingCountMax: 32, storeBytesMax: 16384, clientSubscriptionCountMax: 8, topicAliasCountMax: 10, filterSizeMax: 128, inflightCountMax: 20, incomingCountMax: 20 };
  const chosen = { ...defaults, ...limits };
  const module = new WebAssembly.Module(readFileSync(new URL("build/wasm/wrenmq-client.wasm", root)));
  const api = new WebAssembly.Instance(module, { env: { abort: () => { throw new Error("abort"); }, ...NO_FLASH } }).exports;
  for (const [name, value] of Object.entries(chosen)) api.limitSet(CLIENT_LIMIT_IDS[name], Number(value));
  const before = api.heapTop.value;
  if (api.init() !== 0) throw new Error(`client init refused ${board.name}'s limits`);
  const total = api.heapTop.value - before;
  console.log(`  ${board.name.padEnd(12)} ${String(chosen.outgoingCountMax).padStart(7)} ${String(chosen.storeBytesMax).padStart(9)} ${String(chosen.clientSubscriptionCountMax).padStart(5)} ${String(chosen.inflightCountMax).padStart(9)} ${String(chosen.incomingCountMax).padStart(9)} ${kb(total).padStart(10)}`);
}
// The geometry each board profile gives its QoS store ("flash"), and the store sectors made of
// it: pages grouped until a sector holds the largest packet (+64 B of headers). On Espruino the
// area is fixed, so the count rounds down and fewer than three is refused (initWithFlash -101,
// firmware/platform/espruino/client.ts); a host's file keeps the capacity, at least 8 sectors
// (tools/gateway/main.mjs).
console.log("\nFlash store per board (boards/*.json \"flash\"; Espruino: an area of the Flash module, hosts: a file).");
console.log("The RAM index costs 26 B a record: the broker's storeRecordCountMax on hosts, outbox + QoS 2 receipts on devices.");
console.log(`  ${"board".padEnd(12)} ${"base".padStart(10)} ${"page".padStart(8)} ${"pages".padStart(6)} ${"write".padStart(6)} ${"capacity".padStart(10)} ${"index RAM".padStart(10)}   store sectors`);
for (const file of boards) {
  const board = JSON.parse(readFileSync(new URL(`boards/${file}`, root)));
  const flash = board.flash;
  if (!flash) {
    console.log(`  ${board.name.padEnd(12)} (no flash geometry)`);
    continue;
  }
  const capacity = flash.sectorSize * flash.sectorCount;
  const sector = sectorSizeFor(flash.sectorSize, board.limits.packetSizeMax);
  const onDevice = typeof flash.base === "number";
  const count = onDevice ? Math.floor(capacity / sector) : Math.max(Math.ceil(capacity / sector), 8);
  const store = onDevice && count < 3 ? "none: fewer than 3 sectors fit (see the profile's note)" : `${count} x ${kb(sector)}`;
  const base = onDevice ? `0x${flash.base.toString(16)}` : "file";
  const records = onDevice ? (board.limits.outgoingCountMax ?? 32) + (board.limits.incomingCountMax ?? 20) : (board.limits.storeRecordCountMax ?? 4096);
  console.log(`  ${board.name.padEnd(12)} ${base.padStart(10)} ${kb(flash.sectorSize).padStart(8)} ${String(flash.sectorCount).padStart(6)} ${`${flash.writeSize} B`.padStart(6)} ${kb(capacity).padStart(10)} ${kb(records * 26).padStart(10)}   ${store}`);
}
console.log("\nEvery figure is allocated once by init(); nothing grows after it (test/alloc.test.mjs, test/broker_alloc.test.mjs, test/client_alloc.test.mjs).");
