// asc transform: exports the stub runtime's bump pointer as the global `heapTop`, so a test can
// read how far the heap has grown. The stub runtime never frees into the middle, so an unchanged
// heapTop across a workload proves the workload allocated nothing. (The stub exports nothing
// of its own for this; see shared/PORTABLE.md.)
import { Transform } from "assemblyscript/transform";

const STUB_OFFSET = "~lib/rt/stub/offset";

export default class HeapTop extends Transform {
  afterCompile(module) {
    if (module.getGlobal(STUB_OFFSET) === 0) {
      throw new Error(`heap_top: ${STUB_OFFSET} not found; build with --runtime stub`);
    }
    module.addGlobalExport(STUB_OFFSET, "heapTop");
  }
}
