/**
 * QoS 2 receipts: the packet identifiers of QoS 2 messages received and answered with PUBREC,
 * kept until the PUBREL (MQTT-4.3.3-9) so a message sent again meanwhile — on this connection
 * or a resumed session — is answered but not delivered twice. Each is a record in the Store, so
 * a store that survives a reboot carries them across it too.
 *
 * Bounded by `incomingCountMax`, the Receive Maximum we announce: a server that keeps to it
 * never fills the table. When one does not (mosquitto 2.0.11 under a burst; any 3.x server,
 * which cannot know the limit), `forget` makes room by dropping the identifier held longest
 * (roughly: removals reorder the table), and the caller counts it.
 */
import { RECORD_INCOMING, STORE_FULL, Store } from "../store/store";

export class Qos2Receipts {
  readonly ids: Int32Array;
  readonly records: Int32Array;
  count: i32 = 0;
  private forgetNext: i32 = 0;
  private readonly empty: Uint8Array = new Uint8Array(0);

  constructor(capacity: i32) {
    this.ids = new Int32Array(capacity);
    this.records = new Int32Array(capacity);
  }

  get full(): bool {
    return this.count == this.ids.length;
  }

  /** Index of `packetId`, or -1. */
  find(packetId: i32): i32 {
    for (let i = 0; i < this.count; i++) if (this.ids[i] == packetId) return i;
    return -1;
  }

  /** Records a receipt, durable in `store`. False when the store cannot hold it. The caller made room. */
  add(packetId: i32, store: Store): bool {
    const record = store.append(RECORD_INCOMING, 0, packetId, this.empty, 0, 0);
    if (record == STORE_FULL) return false;
    this.adopt(packetId, record);
    return true;
  }

  /** Takes a receipt the store already holds (at start-up). False when there is no room. */
  adopt(packetId: i32, record: i32): bool {
    if (this.full) return false;
    this.ids[this.count] = packetId;
    this.records[this.count] = record;
    this.count++;
    return true;
  }

  /** The PUBREL came: forgets entry `index`. */
  release(index: i32, store: Store): i32 {
    const removed = store.remove(this.records[index]);
    this.count--;
    this.ids[index] = this.ids[this.count];
    this.records[index] = this.records[this.count];
    return removed;
  }

  /** Makes room by forgetting the receipt held longest. */
  forget(store: Store): i32 {
    const index = this.forgetNext < this.count ? this.forgetNext : 0;
    this.forgetNext = index + 1;
    return this.release(index, store);
  }

  /** A new session: every receipt belonged to the old one. */
  clear(store: Store): i32 {
    let result: i32 = 0;
    for (let i = 0; i < this.count; i++) {
      const removed = store.remove(this.records[i]);
      if (removed < 0) result = removed;
    }
    this.count = 0;
    return result;
  }
}
