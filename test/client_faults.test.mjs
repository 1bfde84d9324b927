// Goal: the client keeps MQTT's delivery promises across a broken link. With a persistent session
// every QoS 1 message arrives at least once and every QoS 2 message exactly once (MQTT 5 §4.3),
// in publish order per topic (§4.6); every publish handle ends "done"; a link that stops
// answering is noticed by the keepalive (§3.1.2.10) and healed by the client's own reconnect;
// and stop() ends it all, whatever state the fault left the client in.
// Method: publisher and subscriber are both our client (ClientHost), each behind a CutProxy
// (test/support/cut_proxy.mjs) that parses the framing and cuts the link after the Nth packet
// in one direction. A clean run of each exchange lists its packet boundaries; then each boundary,
// both directions, publisher side, subscriber side and both at once, is cut in its own run (the
// runs of one exchange run concurrently), against Debian's mosquitto and our gateway, 3.1.1
// (clean=false) and 5.0 (session expiry), QoS 2 in both builds. Every wait is bounded.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { ClientHost } from "../tools/client/host.mjs";
import { HOST_CLIENT_LIMITS } from "../tools/client/core.mjs";
import { CutProxy } from "./support/cut_proxy.mjs";
import { run, sleep, startMosquitto, startWrenmq } from "./support/brokers.mjs";

/** Longest wait for any one step (connect, settle, delivery) before the run fails saying which. */
const STEP_TIMEOUT_MS = 8000;
/** A run is over when neither link has carried a packet for this long: a resend would have come. */
const QUIET_MS = 150;
/** Runs of one exchange at once. */
const RUN_CONCURRENCY = 64;
/** Small, so a cut costs tens of milliseconds. */
const RECONNECT = { minMs: 20, maxMs: 200 };
/** Two topics, interleaved, so order is checked per topic and not only overall. */
const MESSAGES = [["a", "a1"], ["b", "b1"], ["a", "a2"], ["b", "b2"]];
/**
 * The Node host's client limits with a smaller packet, store and outbox: these flows use a few
 * hundred bytes, and at the host's full size each of the ~1200 cores these tests load costs
 * 10 ms to initialise instead of 2.
 */
const CLIENT_LIMITS = { ...HOST_CLIENT_LIMITS, packetSizeMax: 4096, storeBytesMax: 65536, outgoingCountMax: 64 };
/** Our gateway at the Node host's scale: room for every run's persistent sessions. */
const GATEWAY_LIMITS = JSON.parse(readFileSync(new URL("../boards/pi-gateway.json", import.meta.url), "utf8")).limits;

/** `promise`, or a rejection naming `what` after `ms`. */
function bounded(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** `error` with `trace` appended to its message and to the stack the reporters print; rethrown by the caller. */
function withTrace(error, trace) {
  error.message += `\n${trace}`;
  if (typeof error.stack === "string") error.stack += `\n${trace}`;
  return error;
}

/** Resolves when `predicate()` holds; rejects naming `what` after `ms`. */
async function until(predicate, ms, what) {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(5);
  }
}

/**
 * Throws unless `received` ({ topic, payload, qos }) holds every message of `published`
 * ({ topic, payload }) at `qos`: at least once for QoS 1, exactly once for QoS 2, and in
 * publish order per topic (for QoS 1, the order of first arrivals: a resend may repeat an
 * earlier message after a later one).
 */
function deliveryCheck(published, received, qos) {
  for (const message of received) {
    assert.equal(message.qos, qos, `${message.topic} ${message.payload} arrived at QoS ${message.qos}, not ${qos}`);
  }
  const counts = new Map();
  for (const { topic, payload } of received) counts.set(`${topic} ${payload}`, (counts.get(`${topic} ${payload}`) ?? 0) + 1);
  for (const { topic, payload } of published) {
    const count = counts.get(`${topic} ${payload}`) ?? 0;
    assert.ok(count >= 1, `${topic} ${payload} was never delivered`);
    if (qos === 2) assert.equal(count, 1, `${topic} ${payload} was delivered ${count} times at QoS 2`);
  }
  assert.equal(counts.size, published.length, "a message that was never published was delivered");
  for (const topic of new Set(published.map((m) => m.topic))) {
    const sent = published.filter((m) => m.topic === topic).map((m) => m.payload);
    const arrived = [...new Set(received.filter((m) => m.topic === topic).map((m) => m.payload))];
    assert.deepEqual(arrived, sent, `order on ${topic}`);
  }
}

/**
 * One exchange: the subscriber (persistent session) subscribes to `<tag>/#` at `qos`, the
 * publisher (persistent session) publishes MESSAGES at `qos`; each behind its own proxy with its
 * `faults`. Resolves when every handle has settled, every message has arrived, every fault has
 * fired, both clients are connected and both links have been quiet for QUIET_MS. Returns
 * { published, received, results, sequences, publisher, subscriber } with the clients' counters and
 * links; a failure's message ends with both links' packet traces.
 */
async function exchange({ port, qos, version, build, tag, publisherFaults = [], subscriberFaults = [], clean = false }) {
  const publisherLink = await CutProxy.start({ target: { port }, faults: publisherFaults });
  const subscriberLink = await CutProxy.start({ target: { port }, faults: subscriberFaults });
  const options = (clientId) => ({
    clientId, version, clean, keepAlive: 10, reconnect: RECONNECT, ...(version === 5 ? { sessionExpiry: 3600 } : {}),
  });
  const subscriber = new ClientHost({ server: { port: subscriberLink.port }, options: options(`${tag}-s`), core: { build, limits: CLIENT_LIMITS } });
  const publisher = new ClientHost({ server: { port: publisherLink.port }, options: options(`${tag}-p`), core: { build, limits: CLIENT_LIMITS } });
  const received = [];
  subscriber.on("message", (topic, payload, { qos: deliveredQos, dup }) => {
    received.push({ topic, payload: payload.toString(), qos: deliveredQos, dup });
  });
  const published = MESSAGES.map(([leaf, payload]) => ({ topic: `${tag}/${leaf}`, payload }));
  const trace = () => [
    `publisher link:\n${publisherLink.describe()}`, `subscriber link:\n${subscriberLink.describe()}`,
    `received: ${received.map((m) => `${m.payload}${m.dup ? "(dup)" : ""}`).join(" ") || "nothing"}`,
  ].join("\n");
  try {
    subscriber.start();
    await bounded(subscriber.connected(), STEP_TIMEOUT_MS, "the subscriber to connect");
    const subscribed = await bounded(subscriber.settled(subscriber.subscribe(`${tag}/#`, qos)), STEP_TIMEOUT_MS, "the SUBACK");
    assert.equal(subscribed.status, "done", "subscribe");
    publisher.start();
    await bounded(publisher.connected(), STEP_TIMEOUT_MS, "the publisher to connect");
    const handles = published.map(({ topic, payload }) => publisher.publish(topic, payload, { qos }));
    const results = await bounded(Promise.all(handles.map((handle) => publisher.settled(handle))), STEP_TIMEOUT_MS, "every publish handle to settle");
    const arrived = () => published.every(({ topic, payload }) => received.some((m) => m.topic === topic && m.payload === payload));
    await until(arrived, STEP_TIMEOUT_MS, "every message to arrive");
    const links = [publisherLink, subscriberLink];
    await until(() => links.every((link) => link.faultsFired() && link.quietMs() >= QUIET_MS)
      && publisher.state === "connected" && subscriber.state === "connected", STEP_TIMEOUT_MS, "both links to heal and go quiet");
    const sequences = {
      publisher: { c2s: [...publisherLink.connections[0].c2s], s2c: [...publisherLink.connections[0].s2c] },
      subscriber: { c2s: [...subscriberLink.connections[0].c2s], s2c: [...subscriberLink.connections[0].s2c] },
    };
    return {
      published, received, results, sequences, trace: trace(),
      publisher: { counters: publisher.counters(), connections: publisherLink.connections },
      subscriber: { counters: subscriber.counters(), connections: subscriberLink.connections },
    };
  } catch (error) {
    throw withTrace(error, trace());
  } finally {
    await Promise.allSettled([bounded(publisher.stop(), 3000, "stop"), bounded(subscriber.stop(), 3000, "stop")]);
    await Promise.all([publisherLink.close(), subscriberLink.close()]);
  }
}

/** The checks every faulted run must pass; failures carry the packet traces. */
function runCheck(run, qos, { publisherCut, subscriberCut }) {
  try {
    for (const [i, result] of run.results.entries()) assert.equal(result.status, "done", `publish ${i + 1} ended ${result.status} (${result.reason})`);
    deliveryCheck(run.published, run.received, qos);
    for (const [side, faulted] of [["publisher", publisherCut], ["subscriber", subscriberCut]]) {
      if (!faulted) continue;
      const connections = run[side].connections;
      assert.ok(connections[0].fired, `the ${side}'s cut fired`);
      assert.ok(connections.length >= 2, `the ${side} reconnected`);
    }
  } catch (error) {
    throw withTrace(error, run.trace);
  }
}

/** Every packet boundary of one side's first link in the clean run: { direction, after, type }. */
function boundaries(sequence) {
  const points = [];
  for (const direction of ["c2s", "s2c"]) {
    sequence[direction].forEach((type, i) => points.push({ direction, after: i + 1, type }));
  }
  return points;
}

const cut = ({ direction, after }) => ({ action: "cut", direction, after });
const label = ({ direction, after, type }) => `${direction} after #${after} ${type}`;

/** The clean run, then every cut point of it: publisher side, subscriber side, and (with `both`) both at once. */
async function cutMatrix(t, { port, qos, version, build, tag, both }) {
  const clean = await exchange({ port, qos, version, build, tag: `${tag}-clean` });
  runCheck(clean, qos, {});
  const publisherPoints = boundaries(clean.sequences.publisher);
  const subscriberPoints = boundaries(clean.sequences.subscriber);
  const runs = [];
  let duplicatesSuppressed = 0;
  const add = (name, publisherCut, subscriberCut) => {
    const runTag = `${tag}-${runs.length}`;
    runs.push(t.test(name, async () => {
      const run = await exchange({
        port, qos, version, build, tag: runTag,
        publisherFaults: publisherCut ? [cut(publisherCut)] : [], subscriberFaults: subscriberCut ? [cut(subscriberCut)] : [],
      });
      duplicatesSuppressed += run.subscriber.counters.duplicates;
      runCheck(run, qos, { publisherCut, subscriberCut });
    }));
  };
  for (const point of publisherPoints) add(`publisher ${label(point)}`, point, null);
  for (const point of subscriberPoints) add(`subscriber ${label(point)}`, null, point);
  if (both) {
    const count = Math.max(publisherPoints.length, subscriberPoints.length);
    for (let i = 0; i < count; i++) {
      const p = publisherPoints[i % publisherPoints.length];
      const s = subscriberPoints[i % subscriberPoints.length];
      add(`both: publisher ${label(p)}, subscriber ${label(s)}`, p, s);
    }
  }
  await Promise.all(runs);
  // Some cut must have made the broker send a QoS 2 message again before its PUBREL, or the
  // subscriber's duplicate suppression was never put to the test.
  if (qos === 2) assert.ok(duplicatesSuppressed > 0, "no run sent the subscriber a QoS 2 message twice");
}

const BROKERS = [["mosquitto", () => startMosquitto()], ["wrenmq", () => startWrenmq(GATEWAY_LIMITS)]];
const CONFIGS = [
  { qos: 2, version: 4, build: "wasm", both: true }, { qos: 2, version: 5, build: "wasm", both: true },
  { qos: 2, version: 4, build: "js", both: true }, { qos: 2, version: 5, build: "js", both: true },
  { qos: 1, version: 4, build: "wasm", both: false }, { qos: 1, version: 5, build: "wasm", both: false },
];
const VERSION_NAMES = { 4: "3.1.1 clean=false", 5: "5.0 session expiry 3600" };

test("the delivery checks catch a loss, a duplicate, a reorder, a wrong QoS and a stranger", () => {
  const published = [{ topic: "t/a", payload: "a1" }, { topic: "t/b", payload: "b1" }, { topic: "t/a", payload: "a2" }];
  const at = (qos, ...payloads) => payloads.map((payload) => ({ topic: `t/${payload[0]}`, payload, qos }));
  deliveryCheck(published, at(2, "a1", "b1", "a2"), 2);
  deliveryCheck(published, at(2, "b1", "a1", "a2"), 2); // order is per topic
  deliveryCheck(published, at(1, "a1", "b1", "a1", "a2", "a2"), 1); // QoS 1 may repeat
  assert.throws(() => deliveryCheck(published, at(2, "a1", "a2"), 2), /b1 was never delivered/);
  assert.throws(() => deliveryCheck(published, at(2, "a1", "b1", "a1", "a2"), 2), /a1 was delivered 2 times/);
  assert.throws(() => deliveryCheck(published, at(2, "a2", "b1", "a1"), 2), /order on t\/a/);
  assert.throws(() => deliveryCheck(published, at(1, "a2", "b1", "a1", "a2"), 1), /order on t\/a/);
  assert.throws(() => deliveryCheck(published, at(1, "a1", "b1", "a2"), 2), /at QoS 1, not 2/);
  assert.throws(() => deliveryCheck(published, at(2, "a1", "b1", "a2", "a3"), 2), /never published/);
});

for (const [brokerName, startBroker] of BROKERS) {
  describe(`cut links against ${brokerName}`, () => {
    let broker;
    before(async () => { broker = await startBroker(); });
    after(async () => { await broker?.stop(); });

    for (const { qos, version, build, both } of CONFIGS) {
      const tag = `f-${brokerName}-q${qos}-v${version}-${build}`;
      test(`QoS ${qos}, ${VERSION_NAMES[version]}, ${build} build: every packet boundary cut`, { concurrency: RUN_CONCURRENCY }, async (t) => {
        await cutMatrix(t, { port: broker.port, qos, version, build, tag, both });
      });
    }

    test("QoS 2, cut twice in a row: the resend itself is cut", { concurrency: true }, async (t) => {
      const cases = [
        ["publisher: after the first PUBLISH, then after its resend", [cut({ direction: "c2s", after: 2 }), cut({ direction: "c2s", after: 2 })], []],
        ["publisher: after the first PUBREC, then after the resent PUBREL", [cut({ direction: "s2c", after: 2 }), cut({ direction: "c2s", after: 2 })], []],
        ["subscriber: after the first delivery, then after its resend", [], [cut({ direction: "s2c", after: 3 }), cut({ direction: "s2c", after: 2 })]],
        ["subscriber: after the first PUBREC, then after the resent PUBREL", [], [cut({ direction: "c2s", after: 3 }), cut({ direction: "s2c", after: 2 })]],
      ];
      await Promise.all(cases.flatMap(([name, publisherFaults, subscriberFaults], i) => [4, 5].map((version) => t.test(`${name} (${VERSION_NAMES[version]})`, async () => {
        const run = await exchange({ port: broker.port, qos: 2, version, build: "wasm", tag: `f-${brokerName}-twice-${i}-v${version}`, publisherFaults, subscriberFaults });
        runCheck(run, 2, { publisherCut: publisherFaults.length > 0, subscriberCut: subscriberFaults.length > 0 });
        for (const side of ["publisher", "subscriber"]) {
          const faults = side === "publisher" ? publisherFaults : subscriberFaults;
          if (faults.length) assert.ok(run[side].connections.length >= 3, `the ${side} reconnected twice\n${run.trace}`);
        }
      }))));
    });

    test("keepalive: a link that stops answering is closed by the client and reopened", { concurrency: true }, async (t) => {
      const faults = [
        ["PINGRESP swallowed", { action: "drop", direction: "s2c", type: "PINGRESP" }],
        ["server→client stalled after CONNACK", { action: "stall", direction: "s2c", after: 1 }],
        ["both directions stalled after CONNACK", { action: "stall", direction: "s2c", after: 1, stall: ["c2s", "s2c"] }],
      ];
      await Promise.all(faults.flatMap(([name, fault], i) => [4, 5].map((version) => t.test(`${name} (${VERSION_NAMES[version]})`, async () => {
        await keepaliveRun({ port: broker.port, version, fault, tag: `f-${brokerName}-ka-${i}-v${version}`, silentBefore: fault.stall?.includes("c2s") });
      }))));
    });
  });
}

describe("stopping after a fault", () => {
  let broker;
  before(async () => { broker = await startMosquitto(); });
  after(async () => { await broker?.stop(); });

  test("stop() while waiting to reconnect after a cut resolves", async () => {
    const link = await CutProxy.start({ target: { port: broker.port }, faults: [{ action: "cut", direction: "s2c", after: 1 }] });
    const client = new ClientHost({ server: { port: link.port }, options: { clientId: "f-stop-waiting", keepAlive: 10, reconnect: { minMs: 3000, maxMs: 3000 } } });
    try {
      const disconnected = new Promise((resolve) => client.once("disconnect", resolve));
      client.start();
      await bounded(disconnected, STEP_TIMEOUT_MS, "the cut after CONNACK");
      assert.equal(client.state, "waiting");
      await bounded(client.stop(), 1000, "stop() to resolve while the client waits to reconnect");
      assert.equal(client.state, "idle");
      assert.equal(link.connections.length, 1, "no reconnect after stop()");
    } finally {
      await link.close();
    }
  });

  test("a program that stops its client exits promptly", async () => {
    const host = new URL("../tools/client/host.mjs", import.meta.url).href;
    const script = [
      `import { ClientHost } from ${JSON.stringify(host)};`,
      `const client = new ClientHost({ server: { port: ${broker.port} }, options: { clientId: "f-stop-exit", keepAlive: 60 } });`,
      "client.start(); await client.connected(); await client.stop();",
      "const stoppedAt = performance.now(); process.on('exit', () => console.log('lingered', Math.round(performance.now() - stoppedAt)));",
    ].join("\n");
    const result = await run(process.execPath, ["--input-type=module", "-e", script], { timeoutMs: 4000 });
    assert.equal(result.signal, null, `the process was still running 4 s after start (it stopped its client at once): ${result.stderr}`);
    const lingered = Number(/lingered (\d+)/.exec(result.stdout)?.[1]);
    assert.ok(lingered < 500, `exited ${lingered} ms after stop()`);
  });
});

/**
 * The publisher (keepAlive 1 s, so a ping goes after 1 s of silence and times out 1 s later)
 * behind a proxy with `fault` on its first link; it publishes two QoS 2 messages on the broken
 * link and two more once it has noticed. It must close within KEEPALIVE_DETECT_MS and connect
 * again within RECONNECT.maxMs (plus slack); every message arrives exactly once. With `silentBefore` (nothing reaches
 * the broker), none may arrive before the reconnect.
 */
async function keepaliveRun({ port, version, fault, tag, silentBefore }) {
  const KEEPALIVE_DETECT_MS = 1000 + 1000 + 1000; // keepalive, ping timeout, slack for a loaded machine
  const publisherLink = await CutProxy.start({ target: { port }, faults: [fault] });
  const session = version === 5 ? { sessionExpiry: 3600 } : {};
  const subscriber = new ClientHost({ server: { port }, options: { clientId: `${tag}-s`, version, clean: false, keepAlive: 10, reconnect: RECONNECT, ...session } });
  const publisher = new ClientHost({ server: { port: publisherLink.port }, options: { clientId: `${tag}-p`, version, clean: false, keepAlive: 1, reconnect: RECONNECT, ...session } });
  const received = [];
  subscriber.on("message", (topic, payload, { qos }) => received.push({ topic, payload: payload.toString(), qos }));
  const published = ["k1", "k2", "k3", "k4"].map((payload) => ({ topic: `${tag}/k`, payload }));
  const trace = () => `publisher link:\n${publisherLink.describe()}\nreceived: ${received.map((m) => m.payload).join(" ") || "nothing"}`;
  try {
    subscriber.start();
    await bounded(subscriber.connected(), STEP_TIMEOUT_MS, "the subscriber to connect");
    await bounded(subscriber.settled(subscriber.subscribe(`${tag}/#`, 2)), STEP_TIMEOUT_MS, "the SUBACK");
    publisher.start();
    await bounded(publisher.connected(), STEP_TIMEOUT_MS, "the publisher to connect");
    const brokeAt = Date.now();
    const disconnected = bounded(new Promise((resolve) => publisher.once("disconnect", resolve)), KEEPALIVE_DETECT_MS, "the client to notice the dead link");
    const handles = published.slice(0, 2).map(({ topic, payload }) => publisher.publish(topic, payload, { qos: 2 }));
    const reason = await disconnected;
    const noticedMs = Date.now() - brokeAt;
    const arrivedBefore = received.length;
    const reconnected = bounded(publisher.connected(), RECONNECT.maxMs + 1000, "the client to reconnect");
    handles.push(...published.slice(2).map(({ topic, payload }) => publisher.publish(topic, payload, { qos: 2 })));
    await reconnected;
    const results = await bounded(Promise.all(handles.map((handle) => publisher.settled(handle))), STEP_TIMEOUT_MS, "every publish handle to settle");
    await until(() => received.length >= published.length, STEP_TIMEOUT_MS, "every message to arrive");
    await until(() => publisherLink.quietMs() >= QUIET_MS, STEP_TIMEOUT_MS, "the link to go quiet");
    const counters = publisher.counters();
    assert.equal(counters.pingTimeouts, 1, "ping timeouts counted");
    assert.equal(reason, 0x8d, "the disconnect event's reason: keep alive timeout");
    assert.ok(noticedMs <= KEEPALIVE_DETECT_MS, `noticed after ${noticedMs} ms`);
    if (silentBefore) assert.equal(arrivedBefore, 0, "nothing crossed the stalled link");
    for (const [i, result] of results.entries()) assert.equal(result.status, "done", `publish ${i + 1}`);
    deliveryCheck(published, received, 2);
    assert.equal(publisherLink.connections.length, 2, "one reconnect");
    const first = publisherLink.connections[0];
    assert.ok([...first.c2s, ...first.dropped.map((d) => d.type)].includes("PINGREQ"), "the client pinged on the first link");
  } catch (error) {
    throw withTrace(error, trace());
  } finally {
    await Promise.allSettled([bounded(publisher.stop(), 3000, "stop"), bounded(subscriber.stop(), 3000, "stop")]);
    await publisherLink.close();
  }
}
