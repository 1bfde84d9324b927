// Builds one entry with the Espruino profile (shared/PORTABLE.md): ES5 syntax plus the few
// features Espruino 2v29 has (arrows, classes, let/const, shorthand properties), class fields
// as plain assignments, minified, one IIFE with no export surface — the entry assigns a single
// plain global object. The same profile builds the test harness, so tests run what boards run.
//
//   node tools/build/esbuild.mjs <entry.ts> <out.js> [--no-minify]
import { build } from "esbuild";

export const ESPRUINO_PROFILE = {
  bundle: true,
  format: "iife",
  target: "es5",
  supported: { arrow: true, class: true, "const-and-let": true, "object-extensions": true },
  define: { ASC_TARGET: "0" },
  inject: [new URL("../../firmware/platform/js/glue.ts", import.meta.url).pathname],
  tsconfigRaw: { compilerOptions: { useDefineForClassFields: false } },
  legalComments: "none",
  logLevel: "warning",
};

const [entry, outfile, flag] = process.argv.slice(2);
if (!entry || !outfile) {
  console.error("usage: node tools/build/esbuild.mjs <entry.ts> <out.js> [--no-minify]");
  process.exit(2);
}
await build({ ...ESPRUINO_PROFILE, entryPoints: [entry], outfile, minify: flag !== "--no-minify" });
