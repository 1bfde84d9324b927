// One run of each measurement of the broker benchmark (tools/bench/broker.mjs) against one
// running broker. Every run is bounded: a fixed message count, a time cap (`capMs`) after which
// publishing stops, and a stall limit (`stallMs` without progress) after which it gives up
// waiting and reports what is missing. All traffic is on 127.0.0.1.
import { performance } from "node:perf_hooks";
import {
  DISCONNECT, Framer, PUBACK, PUBCOMP, PUBLISH, PUBREC, PUBREL, acks, openClient, payloadOffset, publishPacketId,
  publishStream, publishTemplate,
} from "./wire.mjs";
import { sleep } from "./brokers.mjs";

const TOPIC = "bench/t";
let runNumber = 0;
const streams = new Map(); // version/qos/count -> publishStream (the same bytes every round)

function streamFor(version, qos, count) {
  const key = `${version}/${qos}/${count}`;
  if (!streams.has(key)) streams.set(key, publishStream(version, qos, TOPIC, count));
  return streams.get(key);
}

/**
 * Throughput: one publisher, `subscribers` subscribers on one topic, `count` messages at `qos`
 * (publish and subscribe QoS alike). The publisher keeps at most `ackWindow` messages
 * unacknowledged (QoS 1/2: the broker's CONNACK Receive Maximum, capped by `inflight`) and at
 * most `e2eWindow` messages published but not yet delivered to every subscriber (0: no limit).
 * Delivered messages are checked by the sequence number in their payload: unique, duplicated,
 * lost. Rate = deliveries (summed over subscribers) / (last new delivery - first write).
 */
export async function throughput(broker, { qos, count, subscribers = 1, inflight, e2eWindow, capMs, stallMs = 2000 }) {
  const run = ++runNumber;
  const { version, port } = broker;
  const errors = [];
  const subs = [];
  for (let k = 0; k < subscribers; k++) {
    const client = await openClient({ port, version, clientId: `bench-sub-${process.pid}-${run}-${k}` });
    await client.subscribe(TOPIC, qos);
    subs.push({ client, seen: new Uint8Array(count), unique: 0, duplicates: 0, framer: new Framer() });
  }
  const pub = await openClient({ port, version, clientId: `bench-pub-${process.pid}-${run}` });
  const ackWindow = qos > 0 ? Math.min(pub.receiveMaximum, inflight) : Infinity;
  const { bytes, size } = streamFor(version, qos, count);
  const minBatch = Math.max(1, Math.floor(Math.min(ackWindow, e2eWindow > 0 ? e2eWindow : Infinity, 4096) / 4));

  let sent = 0; // messages written
  let completed = 0; // PUBACK (QoS 1) or PUBCOMP (QoS 2) received
  let refused = 0; // acks with a reason code >= 0x80
  let target = count; // lowered when the time cap stops publishing
  let capped = false;
  let firstWriteAt = 0;
  let lastDeliveryAt = 0;
  let lastProgressAt = 0;
  let progress = 0;
  let pumpQueued = false;
  let finished = false;
  let waitingDrain = false;
  let finish;
  const done = new Promise((resolve) => { finish = resolve; });

  const minDelivered = () => {
    let min = Infinity;
    for (const sub of subs) if (sub.unique < min) min = sub.unique;
    return min;
  };
  const pump = () => {
    pumpQueued = false;
    if (waitingDrain || sent >= target) return;
    let limit = target;
    if (qos > 0) limit = Math.min(limit, completed + ackWindow);
    if (e2eWindow > 0) limit = Math.min(limit, minDelivered() + e2eWindow);
    // Write in batches (a quarter of the tighter window at least), not a few packets per ack.
    if (limit <= sent || (limit < target && limit - sent < minBatch)) return;
    if (sent === 0) firstWriteAt = performance.now();
    const ok = pub.socket.write(bytes.subarray(sent * size, limit * size));
    sent = limit;
    if (!ok) {
      waitingDrain = true;
      pub.socket.once("drain", () => {
        waitingDrain = false;
        pump();
      });
    }
  };
  const schedulePump = () => {
    if (!pumpQueued) {
      pumpQueued = true;
      setImmediate(pump);
    }
  };

  // Publisher: acks free the window; PUBREC is answered with PUBREL (batched per chunk).
  const releases = new Uint16Array(65536);
  pub.framer = new Framer();
  pub.fast((chunk) => {
    let releaseCount = 0;
    pub.framer.feed(chunk, (first, buffer, start, end) => {
      const type = first >> 4;
      if (type === PUBACK || type === PUBCOMP) {
        completed++;
        if (end - start > 2 && buffer[start + 2] >= 0x80) refused++;
      } else if (type === PUBREC) {
        if (end - start > 2 && buffer[start + 2] >= 0x80) {
          refused++;
          completed++;
        } else {
          releases[releaseCount++] = (buffer[start] << 8) | buffer[start + 1];
        }
      } else if (type === DISCONNECT) {
        errors.push(`publisher got DISCONNECT${end > start ? ` reason 0x${buffer[start].toString(16)}` : ""}`);
      }
    });
    if (releaseCount > 0) pub.socket.write(acks(PUBREL, releases, releaseCount));
    schedulePump();
  });

  // Subscribers: count each sequence number once; QoS 1 -> PUBACK, QoS 2 -> PUBREC, PUBREL -> PUBCOMP.
  const ackIds = new Uint16Array(65536);
  const compIds = new Uint16Array(65536);
  for (const sub of subs) {
    sub.client.fast((chunk) => {
      let ackCount = 0;
      let compCount = 0;
      const now = performance.now();
      sub.framer.feed(chunk, (first, buffer, start, end) => {
        const type = first >> 4;
        if (type === PUBLISH) {
          const at = payloadOffset(first, buffer, start, version);
          const sequence = buffer[at] | (buffer[at + 1] << 8) | (buffer[at + 2] << 16) | (buffer[at + 3] << 24);
          if (sequence >= 0 && sequence < count && sub.seen[sequence] === 0) {
            sub.seen[sequence] = 1;
            sub.unique++;
            lastDeliveryAt = now;
          } else {
            sub.duplicates++;
          }
          if (first & 0x06) ackIds[ackCount++] = publishPacketId(buffer, start);
        } else if (type === PUBREL) {
          compIds[compCount++] = (buffer[start] << 8) | buffer[start + 1];
        } else if (type === DISCONNECT) {
          errors.push(`subscriber got DISCONNECT${end > start ? ` reason 0x${buffer[start].toString(16)}` : ""}`);
        }
      });
      if (ackCount > 0) sub.client.socket.write(acks(qos === 1 ? PUBACK : PUBREC, ackIds, ackCount));
      if (compCount > 0) sub.client.socket.write(acks(PUBCOMP, compIds, compCount));
      schedulePump();
    });
  }
  for (const [name, client] of [["publisher", pub], ...subs.map((sub, k) => [`subscriber ${k}`, sub.client])]) {
    client.socket.on("close", () => {
      if (!finished) errors.push(`${name} connection closed by the broker`);
    });
  }

  const cpuBefore = { broker: broker.cpuMs(), generator: process.cpuUsage() };
  const startedAt = performance.now();
  lastProgressAt = startedAt;
  const check = setInterval(() => {
    const now = performance.now();
    if (!capped && now - startedAt > capMs && sent < target) {
      capped = true;
      target = sent;
    }
    const total = completed + subs.reduce((sum, sub) => sum + sub.unique, 0);
    if (total !== progress) {
      progress = total;
      lastProgressAt = now;
    }
    const allIn = sent === target && (qos === 0 || completed >= sent) && minDelivered() >= target;
    if (allIn || now - lastProgressAt > stallMs) finish(allIn ? "complete" : "stalled");
  }, 5);
  pump();
  const outcome = await done;
  clearInterval(check);
  finished = true;
  const cpu = cpuUsage(cpuBefore, broker, startedAt);

  const delivered = subs.reduce((sum, sub) => sum + sub.unique, 0);
  const elapsedMs = Math.max(lastDeliveryAt - firstWriteAt, 1e-3);
  const result = {
    qos, subscribers, count, sent: target, ackWindow: qos > 0 ? ackWindow : null, e2eWindow,
    delivered, rate: (delivered * 1000) / elapsedMs, elapsedMs,
    lost: subs.reduce((sum, sub) => sum + (target - sub.unique), 0),
    duplicates: subs.reduce((sum, sub) => sum + sub.duplicates, 0),
    unacknowledged: qos > 0 ? sent - completed : 0, refused,
    capped, stalled: outcome === "stalled", errors, ...cpu,
  };
  await Promise.all([pub.close(), ...subs.map((sub) => sub.client.close())]);
  return result;
}

/**
 * Latency: QoS 0, one publisher paced at `rate` messages/s, one subscriber, both on this
 * thread. Message i is due at start + i/rate and written when due (one write each, with
 * performance.now() in its payload; late ones go at once, so the average rate holds); the
 * loop spins on setImmediate, so the generator is never asleep when a message is due or
 * arrives (idle vCPUs wake slowly on this VM). Latency = arrival - send, in µs. The first
 * `warmup` messages are not counted.
 */
export async function latency(broker, { rate, count, warmup, stallMs = 2000 }) {
  const run = ++runNumber;
  const { version, port } = broker;
  const errors = [];
  const sub = await openClient({ port, version, clientId: `bench-lsub-${process.pid}-${run}` });
  await sub.subscribe(TOPIC, 0);
  const pub = await openClient({ port, version, clientId: `bench-lpub-${process.pid}-${run}` });
  const template = publishTemplate(version, 0, TOPIC);
  const samples = new Float64Array(count).fill(NaN);
  const sentAt = new Float64Array(count);
  let received = 0;
  let duplicates = 0;
  let finished = false;
  const framer = new Framer();
  sub.fast((chunk) => {
    const now = performance.now();
    framer.feed(chunk, (first, buffer, start) => {
      if (first >> 4 !== PUBLISH) return;
      const at = payloadOffset(first, buffer, start, version);
      const sequence = buffer.readUInt32LE(at);
      if (sequence >= count) return;
      if (!Number.isNaN(samples[sequence])) {
        duplicates++;
        return;
      }
      samples[sequence] = (now - buffer.readDoubleLE(at + 8)) * 1000;
      received++;
    });
  });
  pub.fast(() => {});
  for (const [name, client] of [["publisher", pub], ["subscriber", sub]]) {
    client.socket.on("close", () => {
      if (!finished) errors.push(`${name} connection closed by the broker`);
    });
  }

  const cpuBefore = { broker: broker.cpuMs(), generator: process.cpuUsage() };
  const startedAt = performance.now();
  const intervalMs = 1000 / rate;
  let sent = 0;
  await new Promise((resolve) => {
    const tick = () => {
      const now = performance.now();
      const due = Math.min(count, Math.floor((now - startedAt) / intervalMs) + 1);
      for (; sent < due; sent++) {
        const packet = Buffer.allocUnsafe(template.size);
        template.bytes.copy(packet);
        packet.writeUInt32LE(sent, template.payloadAt);
        sentAt[sent] = performance.now();
        packet.writeDoubleLE(sentAt[sent], template.payloadAt + 8);
        pub.socket.write(packet);
      }
      if (sent < count) setImmediate(tick);
      else resolve();
    };
    tick();
  });
  const sendMs = performance.now() - startedAt;
  let lastReceived = -1;
  let lastChangeAt = performance.now();
  while (received < count && performance.now() - lastChangeAt < stallMs) {
    if (received !== lastReceived) {
      lastReceived = received;
      lastChangeAt = performance.now();
    }
    await sleep(5);
  }
  finished = true;
  const cpu = cpuUsage(cpuBefore, broker, startedAt);
  const counted = Array.from(samples.subarray(warmup)).filter((value) => !Number.isNaN(value)).sort((a, b) => a - b);
  const pick = (q) => (counted.length ? counted[Math.min(counted.length - 1, Math.floor(q * counted.length))] : NaN);
  // When the slow ones (over p99) were sent, counted per 250 ms: periodic stalls or a bad start.
  const p99 = pick(0.99);
  const slowPerQuarterSecond = new Array(Math.ceil(sendMs / 250)).fill(0);
  for (let i = warmup; i < count; i++) if (samples[i] > p99) slowPerQuarterSecond[Math.floor((sentAt[i] - startedAt) / 250)]++;
  const result = {
    rate, count, achievedRate: (count * 1000) / sendMs, received, lost: count - received, duplicates,
    p50: pick(0.5), p90: pick(0.9), p99, p999: pick(0.999), max: counted.length ? counted[counted.length - 1] : NaN,
    slowPerQuarterSecond, errors, ...cpu,
  };
  await Promise.all([pub.close(), sub.close()]);
  return result;
}

/**
 * Idle connections: RSS of the broker process before and after opening `connections`
 * connections (each CONNECT answered by CONNACK; for the bare server, accepted and CONNECT
 * written), `settleMs` after the last; KB per connection = difference / count.
 */
export async function idleConnections(broker, { connections, settleMs, batch = 50 }) {
  const run = ++runNumber;
  await sleep(settleMs);
  const before = broker.rssKb();
  const clients = [];
  const errors = [];
  for (let first = 0; first < connections; first += batch) {
    const opening = [];
    for (let k = first; k < Math.min(connections, first + batch); k++) {
      const clientId = `bench-idle-${process.pid}-${run}-${k}`;
      opening.push(broker.kind === "bare" ? openBare(broker.port, clientId) : openClient({ port: broker.port, version: broker.version, clientId }));
    }
    for (const outcome of await Promise.allSettled(opening)) {
      if (outcome.status === "fulfilled") clients.push(outcome.value);
      else errors.push(outcome.reason.message);
    }
  }
  await sleep(settleMs);
  const after = broker.rssKb();
  const open = clients.filter((client) => !client.socket.destroyed).length;
  const result = { connections, connected: clients.length, openAtEnd: open, beforeKb: before, afterKb: after,
    perConnectionKb: (after - before) / Math.max(clients.length, 1), errors: summarize(errors) };
  await Promise.all(clients.map((client) => client.close(2000)));
  return result;
}

/** A socket to the bare node:net server, with a CONNECT written (nothing answers it). */
async function openBare(port, clientId) {
  const { default: net } = await import("node:net");
  const { default: mqttPacket } = await import("mqtt-packet");
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: "127.0.0.1", noDelay: true });
    socket.once("error", reject);
    socket.once("connect", () => {
      socket.write(mqttPacket.generate({ cmd: "connect", protocolId: "MQTT", protocolVersion: 4, clean: true, clientId, keepalive: 60 }));
      socket.removeAllListeners("error");
      socket.on("error", () => {});
      resolve({
        socket,
        close: () => new Promise((done) => {
          socket.once("close", done);
          socket.destroy();
        }),
      });
    });
  });
}

function cpuUsage(before, broker, startedAt) {
  const wallMs = performance.now() - startedAt;
  const generator = process.cpuUsage(before.generator);
  return {
    brokerCpu: (broker.cpuMs() - before.broker) / wallMs,
    generatorCpu: (generator.user + generator.system) / 1000 / wallMs,
  };
}

function summarize(messages) {
  const counts = new Map();
  for (const message of messages) {
    const key = message.replace(/bench-\S+/g, "<id>");
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([message, n]) => `${n}× ${message}`);
}
