#!/usr/bin/env node
// aedes for the broker benchmark (tools/bench/broker.mjs): `node tools/bench/aedes_server.mjs
// --port P [--host 127.0.0.1]`. aedes 1.2.0 with its defaults (in-memory persistence,
// mqemitter, concurrency 100, maxInflightInbound 1000) on a plain node:net listener with
// Nagle off (as the wrenmq gateway and our mosquitto.conf have it). Prints "ready <port>" once
// listening; SIGTERM/SIGINT close it and exit 0.
import net from "node:net";
import { Aedes } from "aedes";

function argument(name, fallback) {
  const index = process.argv.indexOf(`--${name}`);
  return index > 0 && index + 1 < process.argv.length ? process.argv[index + 1] : fallback;
}

const port = Number(argument("port", "1883"));
const host = argument("host", "127.0.0.1");
const aedes = await Aedes.createBroker();
const server = net.createServer({ noDelay: true }, aedes.handle);
aedes.on("clientError", (client, error) => console.error(`aedes clientError ${client?.id}: ${error.message}`));
aedes.on("connectionError", (client, error) => console.error(`aedes connectionError: ${error.message}`));
server.listen(port, host, () => console.log(`ready ${server.address().port}`));
const stop = () => {
  server.close();
  aedes.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 1000).unref();
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
