#!/usr/bin/env node
// The memory floor for the broker benchmark (tools/bench/broker.mjs): a node:net server that
// accepts sockets, reads and discards their bytes, and does nothing else — what one idle
// connection costs any Node broker before the broker does anything.
// `node tools/bench/bare_server.mjs --port P [--host 127.0.0.1]`; prints "ready <port>".
import net from "node:net";

function argument(name, fallback) {
  const index = process.argv.indexOf(`--${name}`);
  return index > 0 && index + 1 < process.argv.length ? process.argv[index + 1] : fallback;
}

const sockets = new Set();
const server = net.createServer({ noDelay: true }, (socket) => {
  sockets.add(socket);
  socket.on("data", () => {});
  socket.on("error", () => {});
  socket.on("close", () => sockets.delete(socket));
});
server.listen(Number(argument("port", "1883")), argument("host", "127.0.0.1"), () => console.log(`ready ${server.address().port}`));
const stop = () => {
  for (const socket of sockets) socket.destroy();
  server.close(() => process.exit(0));
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
