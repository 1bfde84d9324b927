// Goal: on an Espruino board the client keeps its QoS store in the chip's flash through the
// built-in `Flash` module (firmware/platform/espruino/flash_espruino.ts): what publish() accepted
// survives a reboot, what the server acknowledged does not come back, a program that would set a
// bit 0 -> 1 is refused, and each board profile's area is one Espruino lets us use.
// Method: the Espruino bundle (build/espruino/wrenmq-client.js) runs under Node over a stand-in
// for `Flash` that keeps Espruino 2v29's rules (test/support/espruino_flash_fake.mjs, each rule
// with its source); a reboot is a new bundle instance over the same flash bytes. The server side
// is scripted with mqtt-packet. When an `espruino` binary is found (on PATH, or
// WRENMQ_ESPRUINO=/path/to/espruino), the stand-in is compared with the real module, and the
// reboot runs again in two real interpreter processes over the real (Linux: file-backed) flash.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mqttPacket from "mqtt-packet";
import { CLIENT_JS, EVENT, LIMIT_IDS, OPTION } from "../tools/client/core.mjs";
import { parse } from "./support/client_script.mjs";
import { FakeEspruinoFlash } from "./support/espruino_flash_fake.mjs";

const ERR_FLASH_RANGE = -80;
const ERR_FLASH_BITS = -81;
const ERR_FLASH_IO = -83;
const INIT_AREA_REFUSED = -101;
const BUNDLE = readFileSync(CLIENT_JS, "utf8");
const board = (name) => JSON.parse(readFileSync(new URL(`../boards/${name}.json`, import.meta.url), "utf8"));
const utf8 = new TextEncoder();

/** One boot of a device: a fresh bundle instance, the board's client limits, the store on `flash`. */
class Device {
  constructor(boardName, flash, geometry = board(boardName).flash) {
    const sandbox = {};
    new Function("global", BUNDLE)(sandbox);
    this.bundle = sandbox.wrenmqClient;
    this.api = this.bundle.create();
    for (const [name, value] of Object.entries(board(boardName).limits)) {
      if (name in LIMIT_IDS) assert.equal(this.api.limitSet(LIMIT_IDS[name], value), 0, name);
    }
    this.status = this.bundle.initWithFlash(this.api, flash, geometry);
    this.now = 1000;
  }

  configure() {
    const api = this.api;
    api.optionSet(OPTION.version, 4);
    api.optionSet(OPTION.cleanStart, 0);
    api.stage.set(utf8.encode("esp-1"), 0);
    api.optionBytes(OPTION.clientId, 5);
    return api.restore(this.now);
  }

  publish(topic, payload, qos) {
    const t = utf8.encode(topic);
    const p = utf8.encode(payload);
    this.api.stage.set(t, 0);
    this.api.stage.set(p, t.length);
    return this.api.publish(t.length, 0, p.length, qos, 0, 0, this.now);
  }

  output() {
    const chunks = [];
    for (let n = this.api.output(this.now); n > 0; n = this.api.output(this.now)) chunks.push(Buffer.from(this.api.tx.subarray(0, n)));
    return parse(Buffer.concat(chunks), 4);
  }

  input(packet) {
    const bytes = mqttPacket.generate(packet, { protocolVersion: 4 });
    this.api.rx.set(bytes, 0);
    assert.equal(this.api.input(this.now, bytes.length), bytes.length);
    while (this.api.nextEvent() !== EVENT.none);
  }

  /** Start, open, answer the CONNECT. Returns what the client sent after the CONNACK. */
  connect(sessionPresent) {
    this.api.start(this.now);
    this.api.poll(this.now);
    this.api.opened(this.now);
    const [connect] = this.output();
    assert.equal(connect.cmd, "connect");
    this.input({ cmd: "connack", returnCode: 0, sessionPresent });
    return this.output();
  }
}

test("esp8266: accepted QoS 1 messages survive a reboot; acknowledged ones do not come back; the store stays in its area", () => {
  const geometry = board("esp8266").flash;
  const flash = new FakeEspruinoFlash("esp8266");
  const first = new Device("esp8266", flash);
  assert.equal(first.status, 0);
  assert.equal(first.configure(), 0, "a fresh flash holds nothing");
  const handles = [];
  for (let n = 0; n < 6; n++) handles.push(first.publish(`sensors/${n % 2}`, `reading ${n}`, 1));
  assert.ok(handles.every((handle) => handle > 0), `publish accepted all: ${handles}`);
  const sent = first.connect(false);
  assert.deepEqual(sent.map((p) => p.payload.toString()), ["reading 0", "reading 1", "reading 2", "reading 3"], "the in-flight window (4)");
  first.input({ cmd: "puback", messageId: sent[0].messageId });
  first.input({ cmd: "puback", messageId: sent[1].messageId });
  first.output(); // reading 4 and 5 go out; the power goes before any more acks

  const rebooted = flash.powerOn();
  assert.equal(rebooted.storageErased, false, "the store is not in Storage's area");
  const second = new Device("esp8266", rebooted);
  assert.equal(second.status, 0);
  assert.equal(second.configure(), 4, "recovered: the four not acknowledged");
  const resent = second.connect(true);
  assert.deepEqual(resent.map((p) => [p.topic, p.payload.toString(), p.qos]),
    [2, 3, 4, 5].map((n) => [`sensors/${n % 2}`, `reading ${n}`, 1]));
  assert.ok(resent.every((p) => p.dup), "sent before the reboot: DUP");
  for (const p of resent) second.input({ cmd: "puback", messageId: p.messageId });

  const third = new Device("esp8266", rebooted.powerOn());
  assert.equal(third.configure(), 0, "everything acknowledged: nothing left");

  for (const boot of [flash, rebooted]) {
    assert.deepEqual(boot.faults, []);
    assert.equal(boot.unalignedWrites, 0, "every write is whole 4-byte units at 4-byte addresses");
    assert.ok(boot.writes > 0);
    assert.ok(boot.touched[0] >= geometry.base && boot.touched[1] <= geometry.base + geometry.sectorSize * geometry.sectorCount,
      `touched [0x${boot.touched[0].toString(16)}, 0x${boot.touched[1].toString(16)})`);
  }
});

test("a store in Storage's area, which getFree() lists on the ESP32, is wiped at the next power-on", () => {
  // Nothing a script can ask Espruino 2v29 says where Storage is on an ESP32, so initWithFlash
  // cannot refuse this area; the board profile's 0x310000 is outside it.
  const flash = new FakeEspruinoFlash("esp32");
  const device = new Device("esp32", flash, { ...board("esp32").flash, base: 0x360000 });
  assert.equal(device.status, 0);
  device.configure();
  assert.ok(device.publish("a/b", "lost", 1) > 0);
  const rebooted = flash.powerOn();
  assert.equal(rebooted.storageErased, true, "Storage is corrupt. Erasing Storage Area...");
  assert.equal(new Device("esp32", rebooted, { ...board("esp32").flash, base: 0x360000 }).configure(), 0, "nothing left");
});

test("a program that would set a bit 0 -> 1 is refused and changes nothing; erase restores the sector's pages", () => {
  const flash = new FakeEspruinoFlash("esp32");
  const device = new Device("esp32", flash);
  assert.equal(device.status, 0);
  device.configure();
  assert.ok(device.publish("a/b", "x".repeat(3000), 1) > 0); // starts sector 0 (two 4 KB pages on the ESP32)
  const store = device.api.client.store.flash;
  assert.deepEqual([store.sectorSize, store.sectorCount, store.pageSize], [8192, 8, 4096], "8 KB sectors hold the 4 KB packets");
  const base = board("esp32").flash.base;
  const header = flash.bytes.slice(base, base + 16);
  assert.notDeepEqual([...header], new Array(16).fill(0xff), "sector 0 has its header");

  assert.equal(store.program(0, new Uint8Array(4).fill(0xff), 0, 4), ERR_FLASH_BITS, "0 -> 1 over the header");
  assert.deepEqual(flash.bytes.slice(base, base + 16), header, "nothing written");
  const zeros = new Uint8Array(8);
  assert.equal(store.program(8190, zeros, 0, 4), ERR_FLASH_RANGE, "unaligned address");
  assert.equal(store.program(8192 - 8, zeros, 0, 6), ERR_FLASH_RANGE, "length not a multiple of writeSize");
  assert.equal(store.program(8 * 8192, zeros, 0, 4), ERR_FLASH_RANGE, "beyond the last sector");
  const pattern = Uint8Array.of(0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 0xaa, 0xbb);
  assert.equal(store.program(8192 + 4092, pattern, 1, 8), 0, "a window across the page boundary inside sector 1");
  assert.deepEqual([...flash.bytes.slice(base + 8192 + 4092, base + 8192 + 4100)], [...pattern.subarray(1, 9)]);
  const back = new Uint8Array(12);
  assert.equal(store.read(8192 + 4092, back, 2, 8), 0);
  assert.deepEqual([...back.subarray(2, 10)], [...pattern.subarray(1, 9)]);

  const erasesBefore = flash.erases;
  assert.equal(store.erase(1), 0);
  assert.equal(flash.erases - erasesBefore, 2, "one sector = two pages");
  assert.ok(flash.bytes.subarray(base + 8192, base + 16384).every((b) => b === 0xff), "both pages erased");
  assert.deepEqual(flash.bytes.slice(base, base + 16), header, "the neighbour sector untouched");
  assert.equal(store.erase(8), ERR_FLASH_RANGE);
  assert.deepEqual(flash.faults, []);
});

test("a Flash module that throws, or whose write does not land, is ERR_FLASH_IO", () => {
  const flash = new FakeEspruinoFlash("esp8266");
  const device = new Device("esp8266", flash);
  const store = device.api.client.store.flash;
  const module = store.module;
  const write = module.write;
  module.write = () => { throw new Error("Data is not defined"); };
  assert.equal(store.program(0, new Uint8Array(4), 0, 4), ERR_FLASH_IO);
  module.write = () => {}; // ESP8266: a failed spi_flash_write is only printed
  assert.equal(store.program(0, new Uint8Array(4), 0, 4), ERR_FLASH_IO, "read back: not there");
  module.write = write;
  const erasePage = module.erasePage;
  module.erasePage = () => {}; // an erase that did nothing
  assert.equal(store.program(0, new Uint8Array(4), 0, 4), 0);
  assert.equal(store.erase(0), ERR_FLASH_IO, "read back: not erased");
  module.erasePage = erasePage;
  assert.equal(store.erase(0), 0);
});

// LogStore.append answers STORE_FAILED when the flash write fails: Client.publish must refuse
// (ERR_FLASH_IO), since the message is not durable.
test("a publish whose record could not be written is refused", () => {
  const flash = new FakeEspruinoFlash("esp8266");
  const device = new Device("esp8266", flash);
  device.configure();
  assert.ok(device.publish("a/b", "kept", 1) > 0);
  flash.write = () => {}; // from now on writes do not land (ESP8266: only printed)
  assert.ok(device.publish("a/b", "lost", 1) < 0, "not durable, so not accepted");
});

test("each board profile's area: esp32 and esp8266 usable, stm32-pico refused, areas outside getFree() refused", () => {
  for (const [name, chip, expected] of [["esp32", "esp32", 0], ["esp8266", "esp8266", 0], ["stm32-pico", "stm32-pico", INIT_AREA_REFUSED]]) {
    const flash = new FakeEspruinoFlash(chip);
    assert.equal(new Device(name, flash).status, expected, name);
    assert.deepEqual(flash.faults, [], name);
    if (expected !== 0) assert.equal(flash.writes + flash.erases, 0, `${name}: nothing written`);
  }
  const esp32 = board("esp32").flash;
  for (const [why, geometry] of [
    ["Storage's partition, not in getFree()", { ...esp32, base: 0x320000 }],
    ["not on a page boundary", { ...esp32, base: 0x310800 }],
    ["runs past the free area", { ...esp32, sectorCount: 32 }],
    ["fewer than three sectors", { ...esp32, sectorCount: 4 }],
    ["byte writes: Espruino writes 4-byte units", { ...esp32, writeSize: 1 }],
    ["no base (a file board)", board("sim").flash],
  ]) {
    const flash = new FakeEspruinoFlash("esp32");
    assert.equal(new Device("esp32", flash, geometry).status, INIT_AREA_REFUSED, why);
    assert.equal(flash.writes + flash.erases, 0, `${why}: nothing written`);
  }
});

// ---- the real interpreter, when there is one -----------------------------------------------

function espruinoBinary() {
  if (process.env.WRENMQ_ESPRUINO) return process.env.WRENMQ_ESPRUINO;
  try {
    return execFileSync("which", ["espruino"], { encoding: "utf8" }).trim() || null;
  } catch {
    return null;
  }
}
const ESPRUINO = espruinoBinary();
const NO_ESPRUINO = ESPRUINO ? false : "no espruino binary (PATH or WRENMQ_ESPRUINO)";

/** Runs `source` in the interpreter with `cwd` (where the Linux build keeps espruino.flash); returns the lines after "OUT ". */
function espruinoRun(cwd, source) {
  const file = join(cwd, "script.js");
  writeFileSync(file, source);
  const run = spawnSync(ESPRUINO, [file], { cwd, input: "", encoding: "utf8", timeout: 120000 });
  const lines = run.stdout.split(/\r?\n/).filter((line) => line.startsWith("OUT ")).map((line) => line.slice(4));
  assert.ok(lines.length > 0, `no output from espruino: ${run.stdout.slice(-2000)} ${run.stderr}`);
  return lines;
}

// The same steps, as text both Node and Espruino run: each rule the fake claims for Linux.
const PROBE = `function probe(F, at) {
  var log = [];
  function list(a) { if (a === undefined) return "undefined"; var out = []; for (var i = 0; i < a.length; i++) out.push(a[i]); return out; }
  function attempt(name, f) { try { f(); log.push(name + ": ok"); } catch (e) { log.push(name + ": " + e.message); } }
  var page = F.getPage(at);
  log.push([page.addr - at, page.length]);
  log.push(F.getPage(0) === undefined);
  F.erasePage(at + 5);
  log.push(list(F.read(8, at)));
  F.write(new Uint8Array([0xf0, 0x0f, 0xaa, 0x55]), at);
  F.write(new Uint8Array([0x0f, 0xff, 0xff, 0xff]), at);
  log.push(list(F.read(8, at)));
  F.write(new Uint8Array([0, 0]), at + 5);
  F.write("AB", at + 8);
  var big = new Uint8Array(16); big.fill(0x11); big[4] = 0x22;
  F.write(big.subarray(4, 12), at + 16);
  log.push(list(F.read(28, at)));
  var a = F.read(4, at), b = F.read(4, at); a[0] = 7;
  log.push(b[0], a !== b);
  log.push(list(F.read(0, at)));
  attempt("erasePage(1.5)", function () { F.erasePage(1.5); });
  attempt("erasePage('12')", function () { F.erasePage("12"); });
  attempt("write(undefined)", function () { F.write(undefined, at); });
  F.erasePage(at + ${1024 - 1});
  log.push(list(F.read(4, at + 20)));
  return log;
}`;

// What PROBE logged in Espruino 2v29's Linux build (RELEASE_2V29, built for Linux; run by the
// next test whenever a binary is found): 1 KB pages; getPage(0) undefined; erase -> 0xFF; the
// second write's 0 -> 1s not done (0xf0 & 0x0f = 0); unaligned, string and subarray writes
// accepted, each writing only its bytes; read() fresh each call, undefined for length 0; the
// three exceptions; erasePage(at + 1023) erased the page at `at`.
const PROBE_2V29 = [[0, 1024], true, [255, 255, 255, 255, 255, 255, 255, 255], [0, 15, 170, 85, 255, 255, 255, 255],
  [0, 15, 170, 85, 255, 0, 0, 255, 65, 66, 255, 255, 255, 255, 255, 255, 34, 17, 17, 17, 17, 17, 17, 17, 255, 255, 255, 255],
  0, true, "undefined", "erasePage(1.5): Address should be an integer, got Number",
  "erasePage('12'): Address should be an integer, got String", "write(undefined): Data is not defined", [255, 255, 255, 255]];

test("the stand-in does what Espruino 2v29's Flash module did, step by step", () => {
  const fake = new FakeEspruinoFlash("linux");
  const probe = new Function(`${PROBE}; return probe;`)();
  assert.deepEqual(JSON.parse(JSON.stringify(probe(fake, 0x10030000))), PROBE_2V29);
  assert.deepEqual(fake.faults, []);
});

test("the real Flash module still does that (Linux build of Espruino)", { skip: NO_ESPRUINO }, () => {
  const dir = mkdtempSync(join(tmpdir(), "wrenmq-espruino-"));
  try {
    const [free, real] = espruinoRun(dir, `${PROBE}
var F = require("Flash"); print("OUT " + JSON.stringify(F.getFree())); print("OUT " + JSON.stringify(probe(F, 0x10030000)));`);
    assert.deepEqual(JSON.parse(free), new FakeEspruinoFlash("linux").getFree());
    assert.deepEqual(JSON.parse(real), PROBE_2V29);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("in the real interpreter: messages accepted before a reboot are sent after it", { skip: NO_ESPRUINO }, () => {
  const dir = mkdtempSync(join(tmpdir(), "wrenmq-espruino-"));
  // The Linux build's flash: 1 KB pages from 0x10000000; Storage starts at the bottom, so the store goes higher.
  const geometry = { base: 0x10030000, sectorSize: 1024, sectorCount: 32, writeSize: 4 };
  const limits = Object.entries(board("esp8266").limits).filter(([name]) => name in LIMIT_IDS).map(([name, value]) => [LIMIT_IDS[name], value]);
  const boot = `eval(String(require("fs").readFileSync(${JSON.stringify(CLIENT_JS.pathname)})));
var api = wrenmqClient.create();
${JSON.stringify(limits)}.forEach(function (l) { api.limitSet(l[0], l[1]); });
print("OUT init " + wrenmqClient.initWithFlash(api, require("Flash"), ${JSON.stringify(geometry)}));
api.optionSet(${OPTION.version}, 4); api.optionSet(${OPTION.cleanStart}, 0);
api.stage.set(E.toUint8Array("esp-1"), 0); api.optionBytes(${OPTION.clientId}, 5);
print("OUT restored " + api.restore(1000));
function hex(n) { var s = ""; for (var i = 0; i < n; i++) s += (api.tx[i] < 16 ? "0" : "") + api.tx[i].toString(16); return s; }
function drain() { var s = "", n; while ((n = api.output(1000)) > 0) s += hex(n); return s; }
`;
  try {
    // On the Linux build Storage is the whole flash; with a file in it, the power-on check
    // does not scan the rest, so the store survives (see the next test for an empty Storage).
    const before = espruinoRun(dir, `require("Storage").write("keep", "1");
${boot}
var handles = [];
for (var n = 0; n < 6; n++) { var m = E.toUint8Array("t/" + n + "reading " + n); api.stage.set(m, 0); handles.push(api.publish(3, 0, m.length - 3, 1, 0, 0, 1000)); }
print("OUT handles " + handles.join(","));`);
    assert.deepEqual(before.slice(0, 2), ["init 0", "restored 0"]);
    assert.match(before[2], /^handles [1-9]\d*(,[1-9]\d*){5}$/);

    const connack = mqttPacket.generate({ cmd: "connack", returnCode: 0, sessionPresent: false }, { protocolVersion: 4 }).toString("hex");
    const after = espruinoRun(dir, `${boot}
api.start(1000); api.poll(1000); api.opened(1000); print("OUT " + drain());
var c = E.toUint8Array(atob(${JSON.stringify(Buffer.from(connack, "hex").toString("base64"))})); api.rx.set(c, 0); api.input(1000, c.length);
print("OUT " + drain());`);
    assert.deepEqual(after.slice(0, 2), ["init 0", "restored 6"]);
    assert.equal(parse(Buffer.from(after[2], "hex"), 4)[0].cmd, "connect");
    const sent = parse(Buffer.from(after[3], "hex"), 4);
    assert.deepEqual(sent.map((p) => [p.cmd, p.topic, p.payload.toString(), p.qos]),
      [0, 1, 2, 3].map((n) => ["publish", `t/${n}`, `reading ${n}`, 1]), "the in-flight window (4) of the six, in order");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("in the real interpreter: with Storage empty, the power-on check erases a store in its area", { skip: NO_ESPRUINO }, () => {
  const dir = mkdtempSync(join(tmpdir(), "wrenmq-espruino-"));
  try {
    const write = `var F = require("Flash"); F.erasePage(0x10030000); F.write(new Uint8Array([1, 2, 3, 4]), 0x10030000); print("OUT " + F.read(4, 0x10030000));`;
    assert.deepEqual(espruinoRun(dir, write), ["1,2,3,4"]);
    assert.deepEqual(espruinoRun(dir, `print("OUT " + require("Flash").read(4, 0x10030000));`), ["255,255,255,255"]);
    const fake = new FakeEspruinoFlash("linux");
    fake.erasePage(0x10030000);
    fake.write(new Uint8Array([1, 2, 3, 4]), 0x10030000);
    const rebooted = fake.powerOn();
    assert.equal(rebooted.storageErased, true);
    assert.deepEqual([...rebooted.read(4, 0x10030000)], [255, 255, 255, 255], "the stand-in does the same");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
