// Goal: the client allocates nothing after init, whatever the server and the application do.
// Method: the client WASM exports the stub runtime's heap top (tools/build/heap_top.mjs). After
// init it is read, then a scripted server (test/support/client_script.mjs) takes the client
// through connects and refusals, 30,000 publishes at QoS 0/1/2 with properties and aliases,
// incoming messages at every QoS with duplicates, full queues under every policy, lost and
// resumed sessions, keepalive timeouts and malformed input; the heap top must not move.
import { test } from "node:test";
import assert from "node:assert/strict";
import { POLICY } from "../tools/client/core.mjs";
import { Script } from "./support/client_script.mjs";

test("a mixed client workload leaves the heap top where init left it", () => {
  const s = new Script("wasm", { version: 5, options: { clientId: "alloc", cleanStart: 0, sessionExpiry: 60, keepAlive: 5, willTopic: "w", willPayload: "bye" } });
  const heapTop = s.core.heapTop;
  const afterInit = heapTop();
  assert.ok(afterInit > 0, "the build exports its heap top");
  const expiry = Buffer.from([9, 0x02, 0, 0, 0, 60, 0x03, 0, 1, 0x74]); // Message Expiry 60 s, Content Type "t"
  let incomingId = 1;
  // The server's side: acknowledge every PUBLISH the client sent, and complete its QoS 2 flows.
  const serve = (packets) => {
    for (const packet of packets) {
      if (packet.cmd === "subscribe") s.input({ cmd: "suback", messageId: packet.messageId, granted: [packet.subscriptions[0].qos] });
      if (packet.cmd === "pubrel") s.input({ cmd: "pubcomp", messageId: packet.messageId });
      if (packet.cmd !== "publish" || packet.qos === 0) continue;
      s.input({ cmd: packet.qos === 1 ? "puback" : "pubrec", messageId: packet.messageId });
      serve(s.output());
    }
  };
  for (let round = 0; round < 30; round++) {
    s.events.length = 0;
    s.messages.length = 0;
    if (round === 0) s.connect({ properties: { topicAliasMaximum: 3, receiveMaximum: 20 } });
    else serve(s.reconnect({ sessionPresent: round % 2 === 0, properties: { topicAliasMaximum: 3 } }));
    s.subscribe(`cmd/${round % 3}/#`, round % 3);
    serve(s.output());
    for (let n = 0; n < 1000; n++) {
      const qos = n % 3;
      const handle = s.publish(`sensor/${n % 5}`, `reading ${n}`, { qos, properties: n % 2 ? expiry : new Uint8Array(0), policy: n % 3 });
      assert.ok(handle > 0 || handle === -43, `publish refused: ${handle}`);
      serve(s.output());
      if (n % 10 === 0) {
        const id = incomingId = incomingId % 60000 + 1;
        const incoming = { cmd: "publish", topic: `cmd/${n % 3}/led`, payload: "on", qos: n % 3, messageId: id, properties: { topicAlias: 1 + (n % 4), userProperties: { k: "v" } } };
        s.input(incoming);
        if (incoming.qos === 2) {
          s.input({ ...incoming, dup: true }); // before PUBREL: not delivered again
          s.input({ cmd: "pubrel", messageId: id });
        }
        serve(s.output());
      }
    }
    // Fill the outbox past its 16 entries while the window is shut, under each policy.
    for (let n = 0; n < 40; n++) s.publish(`bulk/${n % 2}`, "x", { qos: 1, policy: [POLICY.keepAll, POLICY.dropOldest, POLICY.latest][round % 3] });
    if (round % 5 === 1) s.inputBytes(Uint8Array.from([0x40, 0x02, 0x00, 0x00])); // malformed: packet id 0
    if (round % 5 === 2) s.tick(5000); // PINGREQ due
    if (round % 5 === 3) s.tick(2500); // ... and no PINGRESP
  }
  s.api.closed(s.now);
  s.take();
  assert.ok(s.api.counter(0) > 20000, `messages sent: ${s.api.counter(0)}`);
  assert.ok(s.api.counter(1) > 2000, `messages received: ${s.api.counter(1)}`);
  assert.ok(s.api.counter(5) > 0, "the policies dropped something");
  assert.equal(heapTop(), afterInit, "heap top moved after init");
});
