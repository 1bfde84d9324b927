/**
 * The store: where QoS state lives so that it can outlast a connection, and (with the flash
 * store) a reboot. The client keeps every message it has yet to finish sending here, and every
 * QoS 2 packet identifier it has received but not yet seen released; the broker and the bridge
 * will keep theirs here too.
 *
 * A record is (kind, state, packet id, body). `append` returns only once the record is durable,
 * so a caller acknowledges a message to its sender only after `append` succeeded; `update` and
 * `remove` are durable on return too. Records come back in append order (`first`/`next`), which
 * is how a client rebuilds its queues at start-up.
 *
 * This class is the interface: a store that holds nothing. `MemoryStore` (memory.ts) keeps
 * records in RAM; the flash store keeps them in a power-safe log over the Flash HAL.
 */

/** A message to publish: the client's outgoing queue and in-flight window, the bridge's queue. */
export const RECORD_OUTGOING: i32 = 1;
/** A QoS 2 packet identifier received and answered with PUBREC, awaiting PUBREL (the client: no body). */
export const RECORD_INCOMING: i32 = 2;
/** The broker's records (broker/durable.ts): a persistent session with its user name, */
export const RECORD_SESSION: i32 = 7;
/** (a session as stores written before user names were kept hold it: restored as anonymous), */
export const RECORD_SESSION_ANONYMOUS: i32 = 3;
/** one of its subscriptions, */
export const RECORD_SUBSCRIPTION: i32 = 4;
/** a message that deliveries or the retained table hold, */
export const RECORD_MESSAGE: i32 = 5;
/** and one QoS 1/2 delivery of a message to a persistent session (queued, sent, released). */
export const RECORD_DELIVERY: i32 = 6;

/** Outgoing states: queued, not yet sent on this session. */
export const OUTGOING_QUEUED: i32 = 0;
/** PUBLISH sent with its packet id; awaiting PUBACK (QoS 1) or PUBREC (QoS 2). */
export const OUTGOING_SENT: i32 = 1;
/** PUBREC received and PUBREL sent; awaiting PUBCOMP. */
export const OUTGOING_RELEASED: i32 = 2;

/** `append` answer when the record does not fit (no record slot, or not enough bytes). */
export const STORE_FULL: i32 = -1;
/** What an operation that could not reach the flash answers (power lost, device error). */
export const STORE_FAILED: i32 = -2;

export class Store {
  /** Appends a record, durable on return. Returns its id (>= 0), or STORE_FULL. */
  append(kind: i32, state: i32, packetId: i32, source: Uint8Array, offset: i32, length: i32): i32 {
    return STORE_FULL;
  }

  /**
   * Records a new state and packet id for `record`, durable on return. Returns 0, or
   * STORE_FAILED when the write did not reach the flash: the index has the new state all the
   * same, and after a reboot the record comes back in its previous state (at least once).
   */
  update(record: i32, state: i32, packetId: i32): i32 {
    return 0;
  }

  /** Forgets `record`, durably. Returns 0, or STORE_FAILED (it may come back after a reboot). */
  remove(record: i32): i32 {
    return 0;
  }

  /** Copies the body of `record` to `target[offset ..)`. Returns its length. */
  read(record: i32, target: Uint8Array, offset: i32): i32 {
    return 0;
  }

  kind(record: i32): i32 {
    return 0;
  }

  state(record: i32): i32 {
    return 0;
  }

  packetId(record: i32): i32 {
    return 0;
  }

  /** The oldest live record, or -1. */
  first(): i32 {
    return -1;
  }

  /** The live record appended after `record`, or -1. */
  next(record: i32): i32 {
    return -1;
  }

  /** Whether a body of `length` bytes would fit now. */
  fits(length: i32): bool {
    return false;
  }
}
