// Goal: the as-pect runner that `make test-as` trusts really fails when an expectation fails.
// Method: run it on test/assembly_canary, whose one test compares two different class
// instances with toStrictEqual, and require a non-zero exit code and as-pect's failure line.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";

test("as-pect exits non-zero on a failing expectation", () => {
  const run = spawnSync("npx", ["--no-install", "asp", "--config", "test/assembly_canary/as-pect.config.js", "--no-logo"], {
    cwd: new URL("../", import.meta.url),
    encoding: "utf8",
    timeout: 120_000,
  });
  assert.notEqual(run.status, 0, run.stdout + run.stderr);
  assert.match(run.stdout, /\[Result\]: .*Fail/);
  assert.match(run.stdout, /fails on purpose/);
});
