// The soak's attacker (tools/soak/soak.mjs forks it, so that its busy loops do not delay the
// normal clients' round trips, which the soak measures in its own process): the attacks of
// test/support/attacks.mjs in rotation against one gateway until a deadline, one phase at a time,
// each reported to the parent as { phase, rotation, ... } when it ends.
//
// Input (the first IPC message): { port, wsPort, username, password, willTopic, deadlineMs (epoch
// ms), connectTimeoutMs, packetSizeMax, connectSizeMax, clientIdSizeMax }. Every phase is bounded by its own count
// and time, so the last one ends soon after the deadline; then the process exits.
import {
  churnWithWills, connectBomb, idleSockets, loginStorm, malformedPackets, nonReader, pingFlood, qos0Publisher, sleep, slowloris,
  webSocketFrameBomb,
} from "../../test/support/attacks.mjs";

/** Pause between phases, so each one's effect on the gateway can be told apart in the samples. */
const PHASE_GAP_MS = 3000;

/** The phases of one rotation: name and what it does (resolves with the figures to report). */
function phases(target, rotation) {
  const { port, wsPort, username, password, willTopic, connectTimeoutMs, packetSizeMax, connectSizeMax, clientIdSizeMax } = target;
  const pad = "x".repeat(clientIdSizeMax); // the storm's client ids are as long as the board allows
  return [
    ["sockets without CONNECT", async () => {
      const holdMs = connectTimeoutMs + 4000; // past the timeout and the 2 s linger of a server close
      const [idle, slow] = await Promise.all([idleSockets(port, { count: 500, holdMs }), slowloris(port, { count: 500, holdMs, prefix: `slow-${rotation}` })]);
      await sleep(holdMs);
      const result = { opened: idle.sockets.length + slow.sockets.length, closedByServer: idle.closedByServer() + slow.closedByServer() };
      idle.close();
      slow.close();
      return result;
    }],
    ["non-reading subscriber under a QoS 0 stream", async () => {
      const subscriber = await nonReader(port, { clientId: `non-reader-${rotation}`, topic: `attack/stream/${rotation}` });
      const flood = await qos0Publisher(port, { clientId: `flood-pub-${rotation}`, topic: `attack/stream/${rotation}`, count: 40000, payloadSize: 2500, timeoutMs: 20000 });
      const drained = await subscriber.drain({ quietMs: 1000, timeoutMs: 10000 });
      subscriber.close();
      return { sent: flood.sent, elapsedMs: flood.elapsedMs, answered: flood.answered, delivered: drained.publishes };
    }],
    ["PINGREQ flood", async () => {
      const flood = await pingFlood(port, { clientId: `ping-flood-${rotation}`, durationMs: 5000 });
      return { pings: flood.pings };
    }],
    ["WebSocket frame bombs", async () => {
      const results = [
        await webSocketFrameBomb(wsPort, { frameBytes: 90_000_000, streamBytes: 16 << 20 }),
        await webSocketFrameBomb(wsPort, { frameBytes: connectSizeMax + 1, streamBytes: connectSizeMax + 1 }),
        await webSocketFrameBomb(wsPort, { frameBytes: packetSizeMax + 1, streamBytes: packetSizeMax + 1, afterConnect: true, clientId: `ws-bomb-${rotation}` }),
        await webSocketFrameBomb(wsPort, { frameBytes: 90_000_000, streamBytes: 8 << 20, afterConnect: true, clientId: `ws-bomb-big-${rotation}` }),
      ];
      const tcp = await connectBomb(port, { announced: 90_000_000, streamBytes: 16 << 20 });
      return {
        bombs: results.length + 1,
        refused: results.filter((result) => result.closeCode === 1009 && result.serverClosed).length + (tcp.serverClosed ? 1 : 0),
        streamed: results.reduce((sum, result) => sum + result.streamed, tcp.streamed),
      };
    }],
    ["login storm", async () => {
      const storm = await loginStorm(port, { count: 2000, parallel: 8, username, password, timeoutMs: 30000,
        clientIdOf: (n) => `storm-${rotation}-${n}-${pad}`.slice(0, clientIdSizeMax) });
      return { logins: storm.done, accepted: storm.accepted, refused: storm.refused, failed: storm.failed };
    }],
    ["malformed packets", async () => {
      const malformed = await malformedPackets(port, { prefix: `malformed-${rotation}` });
      return { sent: malformed.sent, closedByServer: malformed.closed };
    }],
    ["connect/disconnect churn with wills", async () => {
      const churn = await churnWithWills(port, { count: 100, prefix: `churn-${rotation}`, willTopic });
      return { connected: churn.connected, clean: churn.clean, cut: churn.cut };
    }],
  ];
}

async function main(target) {
  for (let rotation = 0; Date.now() < target.deadlineMs; rotation++) {
    for (const [phase, run] of phases(target, rotation)) {
      if (Date.now() >= target.deadlineMs) break;
      const startedAt = Date.now();
      let figures;
      try {
        figures = await run();
      } catch (error) {
        figures = { error: error.message };
      }
      process.send({ phase, rotation, startedAt, endedAt: Date.now(), ...figures });
      await sleep(PHASE_GAP_MS);
    }
  }
}

process.once("message", (target) => {
  main(target).then(() => process.exit(0), (error) => {
    process.send({ phase: "attacker", error: error.stack });
    process.exit(1);
  });
});
