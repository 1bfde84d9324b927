// as-pect runs the AssemblyScript unit tests in test/assembly/ (make test-as). Its compiler
// options live in as-pect.asconfig.json and deliberately do not extend ./asconfig.json: that
// one selects the stub runtime, and as-pect needs the incremental one.
export default {
  entries: ["test/assembly/**/*.spec.ts"],
  include: ["test/assembly/**/*.include.ts"],
  disclude: [/node_modules/],
  async instantiate(memory, createImports, instantiate, binary) {
    return instantiate(binary, createImports({ env: { memory } }));
  },
  outputBinary: false,
};
