// Goal: Python's paho-mqtt (2.1) talks to the gateway at every QoS, in MQTT 3.1.1 and 5.0,
// exactly as it talks to Debian's mosquitto. Method: test/python/pubsub.py against both
// brokers, started here on 127.0.0.1 and free ports; the printed deliveries must match.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { run, startMosquitto, startWrenmq } from "./support/brokers.mjs";

const script = fileURLToPath(new URL("./python/pubsub.py", import.meta.url));
let brokers;
before(async () => { brokers = [await startWrenmq(), await startMosquitto()]; });
after(async () => { await Promise.all((brokers ?? []).map((broker) => broker.stop())); });

for (const protocol of [4, 5]) {
  test(`paho-mqtt publishes and subscribes at QoS 0, 1, 2 (protocol ${protocol}) on both brokers`, async () => {
    const outputs = [];
    for (const broker of brokers) {
      const result = await run("python3", [script, String(broker.port), String(protocol)], { timeoutMs: 15000 });
      assert.equal(result.code, 0, `${broker.name}: ${result.stderr}${result.stdout}`);
      outputs.push(result.stdout.trim());
    }
    assert.equal(outputs[0], "paho/q0 m0 0\npaho/q1 m1 1\npaho/q2 m2 2");
    assert.equal(outputs[0], outputs[1], "wrenmq and mosquitto deliver the same");
  });
}
