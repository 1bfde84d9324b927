// Goal: every interval MQTT allows — Session Expiry, Will Delay, Message Expiry (u32 seconds, up
// to 0xFFFFFFFF) and Keep Alive (u16 seconds) — ends when it should and not before, at 1 s,
// 24 days, 49 days and 0xFFFFFFFF, in both builds; the host's i32 millisecond clock wraps every
// 49.7 days and differences of it overflow after 24.8, so this is where overflow would show.
// Method: the broker core under script (test/support/broker_script.mjs) in the WASM release,
// WASM checked and JS builds; the clock moves in steps of at most a day, with the timers run
// at each step, as the gateway's timer does; clients are mqtt-packet encoders.
import { test } from "node:test";
import assert from "node:assert/strict";
import { BrokerScript } from "./support/broker_script.mjs";

const BUILDS = ["wasm", "wasm-checked", "js"];
const SECOND = 1000;
const DAY = 86400 * SECOND;
const NEVER = 0xffffffff;
/** The intervals the issue names, in seconds: 1 s, 24 days, 49 days. */
const INTERVALS = [1, 24 * 86400, 49 * 86400];

for (const build of BUILDS) {
  test(`${build}: Session Expiry ends an offline session when it passes, not before (1 s, 24 d, 49 d)`, () => {
    for (const seconds of INTERVALS) {
      const script = new BrokerScript(build);
      const client = script.client(5);
      assert.equal(client.connect({ clientId: "s", properties: { sessionExpiryInterval: seconds } }).reasonCode, 0);
      client.vanish();
      assert.equal(script.sessions(), 1);
      script.advance(seconds * SECOND - 1);
      assert.equal(script.sessions(), 1, `${seconds} s: still there 1 ms before`);
      script.advance(seconds <= 2000000 ? 1 : 2 * SECOND); // to the millisecond up to 23 days, within a second beyond
      assert.equal(script.sessions(), 0, `${seconds} s: ended`);
    }
  });

  test(`${build}: Session Expiry 0xFFFFFFFF never ends (checked past 100 days), unless persistent_client_expiration says so`, () => {
    const script = new BrokerScript(build);
    const v5 = script.client(5);
    v5.connect({ clientId: "forever", properties: { sessionExpiryInterval: NEVER } });
    v5.vanish();
    const v311 = script.client(4);
    v311.connect({ clientId: "persistent", clean: false });
    v311.vanish();
    script.advance(100 * DAY);
    assert.equal(script.sessions(), 2);
    const back = script.client(5);
    assert.equal(back.connect({ clientId: "forever", clean: false, properties: { sessionExpiryInterval: NEVER } }).sessionPresent, true);

    const expiring = new BrokerScript(build, { persistentExpirySeconds: 30 * 86400 });
    for (const [version, fields] of [[5, { clientId: "a", properties: { sessionExpiryInterval: NEVER } }], [4, { clientId: "b", clean: false }]]) {
      expiring.client(version).connect(fields);
    }
    const kept = expiring.client(5);
    kept.connect({ clientId: "c", properties: { sessionExpiryInterval: 60 * 86400 } }); // its own interval: not a "never"
    for (const client of [...expiring.clients.values()]) client.vanish();
    expiring.advance(30 * DAY - SECOND);
    assert.equal(expiring.sessions(), 3);
    expiring.advance(2 * SECOND);
    assert.equal(expiring.sessions(), 1, "the two sessions that never expire by themselves ended at 30 days; the 60-day one stays");
  });

  test(`${build}: Will Delay publishes the will when it passes, not before (1 s, 24 d, 49 d); 0xFFFFFFFF waits for the session's end`, () => {
    for (const seconds of [...INTERVALS, NEVER]) {
      const script = new BrokerScript(build);
      const watcher = script.client(5);
      watcher.connect({ clientId: "watcher" });
      watcher.send({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic: "wills/#", qos: 0 }] });
      watcher.take();
      const device = script.client(5);
      const sessionSeconds = seconds === NEVER ? 60 * 86400 : NEVER;
      device.connect({ clientId: "device", properties: { sessionExpiryInterval: sessionSeconds },
        will: { topic: "wills/device", payload: Buffer.from("gone"), qos: 0, properties: { willDelayInterval: seconds } } });
      device.vanish();
      const due = seconds === NEVER ? 60 * 86400 : seconds;
      script.advance(due * SECOND - 1);
      assert.deepEqual(watcher.take().filter((p) => p.cmd === "publish"), [], `${seconds}: no will 1 ms early`);
      script.advance(due <= 2000000 ? 1 : 2 * SECOND);
      const wills = watcher.take().filter((p) => p.cmd === "publish");
      assert.deepEqual(wills.map((p) => `${p.topic} ${p.payload}`), ["wills/device gone"], `${seconds}: the will, once`);
    }
  });

  test(`${build}: Message Expiry drops a queued message when it passes, and forwards what is left (1 s, 24 d, 49 d, 0xFFFFFFFF)`, () => {
    for (const seconds of [...INTERVALS, NEVER]) {
      for (const wait of [seconds === NEVER ? 60 * 86400 : seconds - 1, seconds === NEVER ? null : seconds + 2]) {
        if (wait === null) continue;
        const script = new BrokerScript(build);
        const reader = script.client(5);
        reader.connect({ clientId: "reader", properties: { sessionExpiryInterval: NEVER } });
        reader.send({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic: "m", qos: 1 }] });
        reader.vanish();
        const writer = script.client(5);
        writer.connect({ clientId: "writer" });
        writer.send({ cmd: "publish", topic: "m", payload: Buffer.from("x"), qos: 1, messageId: 7, properties: { messageExpiryInterval: seconds } });
        script.advance(wait * SECOND);
        const back = script.client(5);
        back.connect({ clientId: "reader", clean: false, properties: { sessionExpiryInterval: NEVER } });
        script.deliver();
        const publishes = back.take().filter((p) => p.cmd === "publish");
        if (wait < seconds) {
          assert.equal(publishes.length, 1, `${seconds} s after ${wait} s: delivered`);
          const left = publishes[0].properties.messageExpiryInterval;
          assert.ok(left >= seconds - wait - 1 && left <= seconds - wait, `${seconds} s after ${wait} s: ${left} s left`);
        } else {
          assert.equal(publishes.length, 0, `${seconds} s after ${wait} s: expired`);
          assert.equal(script.counter("dropExpired"), 1);
        }
      }
    }
  });

  test(`${build}: Keep Alive closes at 1.5 times the interval (1 s and the largest, 65,535 s)`, () => {
    for (const seconds of [1, 65535]) {
      const script = new BrokerScript(build);
      const client = script.client(5);
      client.connect({ clientId: "k", keepalive: seconds });
      script.advance(seconds * 1500 - SECOND);
      assert.equal(client.open, true, `${seconds}: open just before 1.5 × Keep Alive`);
      script.advance(2 * SECOND);
      assert.equal(client.open, false, `${seconds}: closed after it`);
      assert.equal(client.closedBy, 0x8d, "DISCONNECT 0x8D Keep Alive timeout");
    }
  });
}
