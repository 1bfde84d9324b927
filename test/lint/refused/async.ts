// expect: async
function tick(): i32 { return 1; }
export async function later() {
  await tick();
}
