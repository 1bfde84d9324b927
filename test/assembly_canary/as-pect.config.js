// Config for the canary spec only; see test/aspect_runner.test.mjs.
export default {
  entries: ["test/assembly_canary/*.spec.ts"],
  include: [],
  disclude: [/node_modules/],
  async instantiate(memory, createImports, instantiate, binary) {
    return instantiate(binary, createImports({ env: { memory } }));
  },
  outputBinary: false,
};
