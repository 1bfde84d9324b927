/**
 * `assert` for the JS build (AssemblyScript has it built in). esbuild injects this module
 * wherever shared code calls `assert`. A failed assertion is our own bug, never the peer's.
 */
export function assert(condition: boolean, message: string): void {
  if (!condition) throw new Error("assertion failed: " + message);
}
