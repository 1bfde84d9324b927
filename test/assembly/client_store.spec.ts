// Goal: the client keeps its QoS state only through the Store interface, so a store that
// outlives the client (the flash store, after a reboot) gives the next client everything back.
// Method: a client on a MemoryStore sends a QoS 1 and a QoS 2 message and receives a QoS 2 one;
// a second client built on the same store (the "reboot") must restore both flows and the
// receipt, and resend the flows with DUP when the server resumes the session.
import { Limits } from "../../firmware/limits";
import { Client } from "../../firmware/client/client";
import { MemoryStore } from "../../firmware/store/memory";
import { Span } from "../../firmware/core/bytes";
import { bytes, text } from "./support";

function connected(client: Client, sessionPresent: bool, tx: Uint8Array): void {
  client.start(0);
  client.poll(0);
  client.opened(0);
  client.output(0, tx, 0, tx.length); // CONNECT
  const connack = bytes([0x20, 0x02, sessionPresent ? 1 : 0, 0x00]);
  client.input(0, connack, 0, connack.length);
}

describe("the client's store (the persistence hook)", () => {
  it("a client built on the same store recovers the outbox and the QoS 2 receipts, and resends with DUP", () => {
    const limits = new Limits();
    limits.packetSizeMax = 1024;
    limits.outgoingCountMax = 8;
    limits.incomingCountMax = 4;
    limits.storeBytesMax = 4096;
    const store = new MemoryStore(12, 4096);
    const tx = new Uint8Array(1024);
    const empty = new Span();

    const first = new Client(limits, store);
    connected(first, false, tx);
    expect(first.publish(text("a/1"), text("one"), empty, 1, false, 0, 0)).toBeGreaterThan(0);
    expect(first.publish(text("a/2"), text("two"), empty, 2, false, 0, 0)).toBeGreaterThan(0);
    expect(first.output(0, tx, 0, tx.length)).toBeGreaterThan(0); // both PUBLISHes, unacknowledged
    const incoming = bytes([0x34, 0x06, 0x00, 0x01, 0x74, 0x00, 0x09, 0x78]); // QoS 2 "t" id 9 "x"
    expect(first.input(0, incoming, 0, incoming.length)).toBe(incoming.length);
    expect(first.receipts.count).toBe(1);

    const second = new Client(limits, store); // the reboot: only the store carries over
    expect(second.restore(0)).toBe(2);
    expect(second.outbox.inflight).toBe(2);
    expect(second.receipts.count).toBe(1);
    expect(second.receipts.ids[0]).toBe(9);
    connected(second, true, tx);
    const length = second.output(0, tx, 0, tx.length);
    expect(length).toBeGreaterThan(0);
    expect<i32>(tx[0]).toBe(0x3a); // PUBLISH, DUP, QoS 1: the first flow again, first (MQTT-4.4.0-1)
    second.input(0, incoming, 0, incoming.length); // the server sends id 9 again before PUBREL
    expect(second.counters[9]).toBe(1); // answered as a duplicate, not delivered twice
  });
});
