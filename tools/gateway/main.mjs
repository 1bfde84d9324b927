#!/usr/bin/env node
// The wrenmq gateway: `node tools/gateway/main.mjs [--board boards/sim.json] [--port 1883] [--host 127.0.0.1]`.
// Loads the WASM broker sized by the board profile and listens for MQTT over TCP.
import { readFileSync } from "node:fs";
import { BrokerHost } from "./host.mjs";

function argument(name, fallback) {
  const index = process.argv.indexOf(`--${name}`);
  return index > 0 && index + 1 < process.argv.length ? process.argv[index + 1] : fallback;
}

const boardPath = argument("board", new URL("../../boards/sim.json", import.meta.url).pathname);
const board = JSON.parse(readFileSync(boardPath, "utf8"));
const port = Number(argument("port", "1883"));
const host = argument("host", "127.0.0.1");

const broker = new BrokerHost({ limits: board.limits });
try {
  const address = await broker.listen(port, host);
  console.log(`wrenmq gateway (board ${board.name}) listening on ${address.address}:${address.port}`);
  console.log(`  try: mosquitto_sub -h ${address.address} -p ${address.port} -t '#' -v`);
  console.log(`       mosquitto_pub -h ${address.address} -p ${address.port} -t hello -m world`);
} catch (error) {
  console.error(`wrenmq: cannot listen on ${host}:${port}: ${error.message}`);
  process.exit(1);
}
const stop = async (signal) => {
  console.log(`wrenmq: ${signal}, closing`);
  await broker.close();
  process.exit(0);
};
process.on("SIGINT", () => stop("SIGINT"));
process.on("SIGTERM", () => stop("SIGTERM"));
