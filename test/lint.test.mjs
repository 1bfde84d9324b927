// Goal: the portability lint refuses each non-portable construct by its rule name and lets portable code through.
// Method: lint each test/lint/refused file alone and compare with its `// expect:` line; lint test/lint/accepted; run the CLI once each way.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { lintFiles, RULES } from "../tools/lint_portable.mjs";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const REFUSED = path.join(REPO, "test/lint/refused");
const ACCEPTED = path.join(REPO, "test/lint/accepted");
const tsFiles = (dir) => fs.readdirSync(dir).filter((f) => f.endsWith(".ts")).sort().map((f) => path.join(dir, f));
const show = (findings) => findings.map((f) => `${f.line}:${f.col} ${f.rule}: ${f.message}`).join("\n");

for (const file of tsFiles(REFUSED)) {
  test(`refused: ${path.basename(file)}`, () => {
    const first = fs.readFileSync(file, "utf8").split("\n")[0];
    const m = /^\/\/ expect: (\S+)(?: (.+))?$/.exec(first);
    assert.ok(m, `${file}: first line must be "// expect: <rule> [tsc text]"`);
    const [, rule, text] = m;
    const findings = lintFiles([file]);
    assert.ok(findings.length > 0, `${file}: nothing reported, expected ${rule}`);
    assert.deepEqual([...new Set(findings.map((f) => f.rule))], [rule], `${file}: expected only ${rule}, got\n${show(findings)}`);
    if (rule == "tsc") {
      assert.ok(text, `${file}: a tsc expectation needs the diagnostic text`);
      assert.ok(findings.some((f) => f.message.includes(text)), `${file}: no diagnostic containing "${text}" in\n${show(findings)}`);
    }
  });
}

test("accepted: every file lints clean", () => {
  const files = tsFiles(ACCEPTED);
  assert.ok(files.length > 0);
  const findings = lintFiles(files);
  assert.deepEqual(findings, [], show(findings));
});

test("refused fixtures cover exactly the linter's rules", () => {
  const expected = new Set(tsFiles(REFUSED).map((f) => /^\/\/ expect: (\S+)/.exec(fs.readFileSync(f, "utf8"))[1]));
  expected.delete("tsc");
  assert.deepEqual([...expected].sort(), [...RULES].sort());
});

test("CLI: exit 1 with file:line:col on a refused file, 0 on the accepted dir, 2 on a bad root", () => {
  const run = (...args) => spawnSync(process.execPath, ["tools/lint_portable.mjs", ...args], { cwd: REPO, encoding: "utf8" });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lint-portable-"));
  try {
    fs.copyFileSync(path.join(REFUSED, "for_of.ts"), path.join(dir, "for_of.ts"));
    const refused = run(dir);
    assert.equal(refused.status, 1, refused.stdout + refused.stderr);
    assert.match(refused.stdout, /for_of\.ts:4:3 for-of: /);
    assert.match(refused.stdout, /portable: 1 finding/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const accepted = run("test/lint/accepted");
  assert.equal(accepted.status, 0, accepted.stdout + accepted.stderr);
  assert.equal(run("no/such/dir").status, 2);
});
