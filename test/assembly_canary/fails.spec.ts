// A spec that must fail: test/aspect_runner.test.mjs runs it to prove that as-pect reports a
// failing expectation with a non-zero exit code (as-pect 8.1 was built for assemblyscript
// 0.27; shared/PORTABLE.md records how that pairing can silently pass).
class Pair {
  constructor(public left: i32, public right: i32) {}
}

describe("canary", () => {
  it("fails on purpose", () => {
    expect(new Pair(1, 2)).toStrictEqual(new Pair(1, 3));
  });
});
