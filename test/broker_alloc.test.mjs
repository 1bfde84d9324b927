// Goal: the broker allocates nothing after init, whatever its clients do.
// Method: the gateway's WASM exports the stub runtime's heap top (tools/build/heap_top.mjs).
// After init it is read, then MQTT.js clients connect in 3.1.1 and 5.0, subscribe with
// wildcards, publish 30,000 messages at QoS 0/1/2 (retained ones too), fill queues, vanish
// with wills, resume persistent sessions and refuse bad input; the heap top must not move.
// Once with everything in RAM, once with the flash store (a file) under the same workload, shorter
// since every QoS 1/2 round trip then waits for fdatasync.
import { test } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import mqtt from "mqtt";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startWrenmq, until } from "./support/brokers.mjs";

const connect = (port, options) => mqtt.connectAsync({ host: "127.0.0.1", port, reconnectPeriod: 0, ...options });

async function workload(sent, flash) {
  const broker = await startWrenmq({ queueCountMax: 50 }, { flash });
  const heapTop = () => broker.host.core.heapTop.value;
  const afterInit = heapTop();
  try {
    let received = 0;
    const subscribers = [];
    for (const protocolVersion of [4, 5]) {
      for (let i = 0; i < 3; i++) {
        const client = await connect(broker.port, { clientId: `alloc-sub-${protocolVersion}-${i}`, protocolVersion, clean: i !== 0 });
        client.on("message", () => { received++; });
        await client.subscribeAsync([`alloc/${i}/#`, "alloc/+/all"], { qos: i % 3 });
        subscribers.push(client);
      }
    }
    const publisher = await connect(broker.port, { clientId: "alloc-pub", protocolVersion: 5 });
    for (let n = 0; n < sent; n++) {
      const qos = n % 3;
      const topic = n % 10 === 0 ? `alloc/${n % 3}/all` : `alloc/${n % 3}/x/${n % 7}`;
      const options = { qos, retain: n % 1000 === 0, properties: n % 2 ? { userProperties: { n: String(n) }, messageExpiryInterval: 60 } : {} };
      if (qos === 0) publisher.publish(topic, `payload ${n}`, options);
      else await publisher.publishAsync(topic, `payload ${n}`, options);
    }
    await until(() => received > (sent * 2) / 3, 20000, "deliveries");
    // Vanish with a will, resume a persistent session, send garbage.
    const willing = await connect(broker.port, { clientId: "alloc-will", will: { topic: "alloc/0/all", payload: "bye", qos: 1 } });
    willing.stream.destroy();
    await subscribers[0].endAsync();
    for (let n = 0; n < 200; n++) await publisher.publishAsync("alloc/0/q", `away ${n}`, { qos: 1 });
    const back = await connect(broker.port, { clientId: "alloc-sub-4-0", protocolVersion: 4, clean: false });
    const garbage = net.connect(broker.port, "127.0.0.1");
    await new Promise((resolve) => garbage.once("connect", resolve));
    garbage.write(Buffer.from([0x10, 0xff, 0xff, 0xff, 0xff, 0x7f]));
    await new Promise((resolve) => garbage.once("close", resolve));
    await Promise.all([back.endAsync(), publisher.endAsync(), ...subscribers.slice(1).map((client) => client.endAsync())]);
    await until(() => broker.host.core.connectedCount() === 0, 5000, "all connections to close");
    const counters = broker.host.counters();
    console.log(`  ${sent} published, ${counters.messagesSent} delivered, ${counters.dropQueueFull} dropped on full queues; heapTop ${afterInit} -> ${heapTop()}`);
    assert.ok(counters.messagesSent > (sent * 2) / 3);
    assert.equal(heapTop(), afterInit, "the broker allocated after init");
  } finally {
    await broker.stop();
  }
}

test("a mixed broker workload leaves the heap top where init left it", () => workload(30000, null));

test("with the flash store too", async () => {
  const dir = mkdtempSync(join(tmpdir(), "wrenmq-alloc-"));
  try {
    await workload(10000, { path: join(dir, "broker.flash"), sectorSize: 8192, sectorCount: 64, writeSize: 4 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
