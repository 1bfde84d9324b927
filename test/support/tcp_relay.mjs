// A TCP relay in front of a broker that a test switches off and on, so a client sees the broker
// go down and come back on the same address while the broker itself (and its subscribers)
// stays up. Off, the port refuses connections (ECONNREFUSED) and every link it carried is cut
// without a word, as a crashed broker or a pulled cable would leave it.
//
// The relay's port is below the ephemeral range: a client connecting to a closed port inside
// that range can be given the very same port as its own source and connect to itself (TCP
// simultaneous open), which would both fool the test and take the port the relay comes back on.
import { readFileSync } from "node:fs";
import net from "node:net";

/** Ports the relay picks from: [PORT_LOW, first ephemeral port). */
const PORT_LOW = 10000;
/** Ports tried before giving up. */
const PORT_TRIES_MAX = 50;

/** The first port of the kernel's ephemeral range (Linux; the IANA range elsewhere). */
function ephemeralPortLow() {
  try {
    return Number(readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0]);
  } catch {
    return 49152;
  }
}

/** Starts relaying 127.0.0.1:`port` (a free one below the ephemeral range) to 127.0.0.1:`targetPort`. */
export async function tcpRelay(targetPort) {
  const links = new Set();
  let server = null;
  let port = 0;

  const accept = (inbound) => {
    const outbound = net.connect({ port: targetPort, host: "127.0.0.1", noDelay: true });
    const link = { inbound, outbound };
    links.add(link);
    const cut = () => {
      links.delete(link);
      inbound.destroy();
      outbound.destroy();
    };
    for (const socket of [inbound, outbound]) {
      socket.on("error", cut);
      socket.on("close", cut);
    }
    inbound.pipe(outbound);
    outbound.pipe(inbound);
  };

  const relay = {
    get port() { return port; },
    /** Listens (again) on the same port. */
    up: () => new Promise((resolve, reject) => {
      server = net.createServer({ noDelay: true }, accept);
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => {
        port = server.address().port;
        resolve();
      });
    }),
    /** Stops listening and cuts every link. */
    down: () => new Promise((resolve) => {
      for (const { inbound, outbound } of links) {
        inbound.destroy();
        outbound.destroy();
      }
      links.clear();
      if (!server) return resolve();
      server.close(() => resolve());
      server = null;
    }),
  };
  const high = ephemeralPortLow();
  if (high <= PORT_LOW) throw new Error(`tcpRelay: no ports below the ephemeral range (it starts at ${high})`);
  for (let tries = 0; ; tries++) {
    port = PORT_LOW + Math.floor(Math.random() * (high - PORT_LOW));
    try {
      await relay.up();
      return relay;
    } catch (error) {
      if (error.code !== "EADDRINUSE" || tries + 1 >= PORT_TRIES_MAX) throw error;
    }
  }
}
