#!/usr/bin/env node
// Summarizes a V8 .cpuprofile (from `node --cpu-prof`): the functions with the most self time
// and their share of the sampled time. WASM functions appear as wasm-function[N] in a release
// build (no name section); given a build of the same source with names (asc --debug), they are
// named by index.
//   node tools/bench/profile_top.mjs <file.cpuprofile> [top=25] [named.wasm release.wasm]
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import binaryen from "binaryen";

/** Index -> name of every function of `namedPath`, or null if it does not have `releasePath`'s function count. */
export function wasmFunctionNames(namedPath, releasePath) {
  const read = (path) => binaryen.readBinary(readFileSync(path));
  const named = read(namedPath);
  const release = read(releasePath);
  if (named.getNumFunctions() !== release.getNumFunctions()) return null;
  const imports = [];
  const defined = [];
  for (let i = 0; i < named.getNumFunctions(); i++) {
    const info = binaryen.getFunctionInfo(named.getFunctionByIndex(i));
    (info.module ? imports : defined).push(info.name);
  }
  return [...imports, ...defined]; // the binary's index space: imports first
}

/** The `top` functions by self time, as text lines. */
export function profileTop(path, top = 25, wasmNames = null) {
  const profile = JSON.parse(readFileSync(path, "utf8"));
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfMs = new Map();
  for (let i = 0; i < profile.samples.length; i++) {
    const { functionName, url, lineNumber } = nodes.get(profile.samples[i]).callFrame;
    let name = functionName || "(anonymous)";
    const wasm = /^wasm-function\[(\d+)\]$/.exec(name);
    if (wasm && wasmNames) name = `${wasmNames[Number(wasm[1])] ?? name} (wasm)`;
    const file = url && !url.startsWith("wasm://") ? url.replace(/^file:\/\//, "").replace(/^.*\/(tools|node_modules|firmware)\//, "$1/") : "";
    const key = file ? `${name} ${file}:${lineNumber + 1}` : name;
    selfMs.set(key, (selfMs.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  }
  const total = [...selfMs.values()].reduce((sum, ms) => sum + ms, 0);
  const idle = selfMs.get("(idle)") ?? 0;
  const lines = [`${total.toFixed(0)} ms sampled, ${(total - idle).toFixed(0)} ms busy; self time:`];
  for (const [key, ms] of [...selfMs].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    lines.push(`${ms.toFixed(1).padStart(9)} ms ${((100 * ms) / total).toFixed(1).padStart(5)}%  ${key}`);
  }
  return lines.join("\n");
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [path, top = "25", named, release] = process.argv.slice(2);
  if (!path) {
    console.error("usage: node tools/bench/profile_top.mjs <file.cpuprofile> [top] [named.wasm release.wasm]");
    process.exit(2);
  }
  console.log(profileTop(path, Number(top), named && release ? wasmFunctionNames(named, release) : null));
}
