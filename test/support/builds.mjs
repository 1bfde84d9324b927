// Loads the test harness in each build — the WASM release (-O3), the WASM checked build, and the
// esbuild JS bundle — behind one interface, so every codec test runs unchanged on all three.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));
export const BUILD_DIR = `${root}build/test/`;

/** Error names by code, read from the source of truth. */
export const ERROR_NAMES = new Map();
export const ERROR_CODES = new Map();
for (const match of readFileSync(`${root}firmware/core/errors.ts`, "utf8").matchAll(/export const (ERR_\w+): i32 = (-\d+);/g)) {
  ERROR_NAMES.set(Number(match[2]), match[1]);
  ERROR_CODES.set(match[1], Number(match[2]));
}

/** Default limits for tests: large enough for the vectors' biggest packets. */
export const TEST_LIMITS = { packetSizeMax: 1 << 19, propertyCountMax: 64, topicFilterCountMax: 16 };

function wasmHarness(name, file) {
  let memory;
  const abort = (message, fileName, line, column) => {
    const text = (pointer) => {
      if (!pointer) return "";
      const length = new Uint32Array(memory.buffer, pointer - 4, 1)[0] >>> 1;
      return String.fromCharCode(...new Uint16Array(memory.buffer, pointer, length));
    };
    throw new Error(`wasm abort: ${text(message)} at ${text(fileName)}:${line}:${column}`);
  };
  const module = new WebAssembly.Module(readFileSync(BUILD_DIR + file));
  const instance = new WebAssembly.Instance(module, { env: { abort } });
  const exports = instance.exports;
  memory = exports.memory;
  // initialMemory == maximumMemory, so these views never detach.
  const input = new Uint8Array(memory.buffer, exports.inputPointer(), 1 << 20);
  const output = new Uint8Array(memory.buffer, exports.outputPointer(), 1 << 20);
  return { name, exports, input, output, heapTop: () => exports.heapTop.value };
}

function jsHarness(name, file) {
  const sandbox = {};
  new Function("global", readFileSync(BUILD_DIR + file, "utf8"))(sandbox);
  const exports = sandbox.wrenmqHarness;
  return { name, exports, input: exports.input, output: exports.output, heapTop: () => 0 };
}

const decoder = new TextDecoder("utf-8", { fatal: true });

/** Wraps a raw harness with the calls tests use. */
function wrap(harness, limits = TEST_LIMITS) {
  const { exports, input, output } = harness;
  const status = exports.harnessInit(limits.packetSizeMax, limits.propertyCountMax, limits.topicFilterCountMax);
  if (status !== 0) throw new Error(`${harness.name}: harnessInit refused the limits (${status})`);
  return {
    name: harness.name,
    exports,
    input,
    output,
    heapTop: harness.heapTop,
    /** Decodes `bytes` placed at `offset` (the rest of the window holds `fill`). */
    decode(bytes, version, { packetSizeMax = limits.packetSizeMax, offset = 0, fill = 0, length = bytes.length } = {}) {
      input.fill(fill, 0, offset + bytes.length + 64);
      input.set(bytes, offset);
      return exports.harnessDecode(offset, length, version, packetSizeMax);
    },
    /** JSON fields of the last decoded packet. */
    fields() {
      const length = exports.harnessDump();
      return JSON.parse(decoder.decode(output.subarray(0, length)));
    },
    /** Bytes of the last decoded packet, encoded again. */
    reencode() {
      const length = exports.harnessEncode(0);
      if (length < 0) throw new Error(`${harness.name}: encode failed with ${ERROR_NAMES.get(length) ?? length}`);
      return Buffer.from(output.subarray(0, length));
    },
  };
}

/** The three builds, each initialised with `limits`. */
export function loadBuilds(limits = TEST_LIMITS) {
  return [
    wrap(wasmHarness("wasm", "harness.wasm"), limits),
    wrap(wasmHarness("wasm-checked", "harness.debug.wasm"), limits),
    wrap(jsHarness("js", "harness.js"), limits),
  ];
}

export function loadBuild(name, limits = TEST_LIMITS) {
  const file = { wasm: "harness.wasm", "wasm-checked": "harness.debug.wasm", js: "harness.js" }[name];
  return wrap(name === "js" ? jsHarness(name, file) : wasmHarness(name, file), limits);
}

export function resultName(result) {
  return result > 0 ? "ok" : result === 0 ? "need more" : ERROR_NAMES.get(result) ?? `error ${result}`;
}
