/**
 * What the client tells its host and application, pulled (AssemblyScript has no closures):
 * a ring of events, and the outcome of every publish, subscribe and unsubscribe by handle.
 *
 * Handles are sequence numbers, so an application can ask about one long after the event went
 * by: `status` finds a pending handle in the outbox or subscription table (the caller asks
 * those), a finished one in the ring of recent results, and answers HANDLE_UNKNOWN for one too
 * old to remember. The client pauses input while the ring is nearly full, so a host that takes
 * events after each call loses none; should one be dropped anyway it is counted, and its
 * outcome can still be asked for by handle.
 */

/** Nothing to report. */
export const EVENT_NONE: i32 = 0;
/** The host should open a socket to the server, then call `opened` (or `closed` if it failed). */
export const EVENT_OPEN: i32 = 1;
/** The host should close the socket, then call `closed`. */
export const EVENT_CLOSE: i32 = 2;
/** CONNACK accepted; reason = 1 when the server resumed the session. */
export const EVENT_CONNECTED: i32 = 3;
/** CONNACK refused; reason = its return code (3.x) or reason code (5.0). */
export const EVENT_REFUSED: i32 = 4;
/** The connection ended; reason = the server's DISCONNECT reason, or 0x80 when it just went away. */
export const EVENT_DISCONNECTED: i32 = 5;
/** A message arrived: `client.message` holds it until the next `input`. */
export const EVENT_MESSAGE: i32 = 6;
/** A publish finished: handle, reason = the ack's reason code (0 for QoS 0: handed to the socket). */
export const EVENT_PUBLISHED: i32 = 7;
/** A publish will not be sent: handle, reason = why (a DROP_* code). */
export const EVENT_DROPPED: i32 = 8;
/** A subscribe was answered: handle, reason = granted QoS or a refusal (>= 0x80). */
export const EVENT_SUBSCRIBED: i32 = 9;
/** An unsubscribe was answered: handle, reason. */
export const EVENT_UNSUBSCRIBED: i32 = 10;

/** Handle states. */
export const HANDLE_UNKNOWN: i32 = 0;
export const HANDLE_PENDING: i32 = 1;
/** Acknowledged (QoS 1/2) or written to the socket (QoS 0); subscribe/unsubscribe answered. */
export const HANDLE_DONE: i32 = 2;
/** Dropped by a queue policy, expired, or too large for the server: never sent. */
export const HANDLE_DROPPED: i32 = 3;
/** Refused by the server (an ack reason code >= 0x80). */
export const HANDLE_FAILED: i32 = 4;

/** Why a publish was dropped (EVENT_DROPPED reason, and the counters). */
export const DROP_QUEUE_FULL: i32 = 1;
export const DROP_REPLACED: i32 = 2;
export const DROP_EXPIRED: i32 = 3;
export const DROP_TOO_LARGE: i32 = 4;
export const DROP_SESSION_LOST: i32 = 5;
export const DROP_NOT_SUPPORTED: i32 = 6;

export class ClientEvents {
  readonly kinds: Uint8Array;
  readonly handles: Int32Array;
  readonly reasons: Int32Array;
  /** HANDLE_* of a finished handle's event; 0 for the others. */
  readonly states: Uint8Array;
  head: i32 = 0;
  count: i32 = 0;
  /** Events that found the ring full. */
  dropped: i32 = 0;

  /** Kind, handle, reason and handle state of the event `take` returned last. */
  kind: i32 = EVENT_NONE;
  handle: i32 = 0;
  reason: i32 = 0;
  state: i32 = 0;

  readonly resultHandles: Int32Array;
  readonly resultStates: Uint8Array;
  readonly resultReasons: Int32Array;
  resultNext: i32 = 0;
  /** Last handle given out; handles run 1 .. 0x7fffffff and wrap to 1. */
  handleLast: i32 = 0;

  /**
   * `capacity` events fit between two `take` rounds; the client sizes it so one packet's worth
   * (a CONNACK that ends a whole outbox's flows) always fits, and pauses input when less is left.
   */
  constructor(capacity: i32, resultCount: i32) {
    this.kinds = new Uint8Array(capacity);
    this.handles = new Int32Array(capacity);
    this.reasons = new Int32Array(capacity);
    this.states = new Uint8Array(capacity);
    this.resultHandles = new Int32Array(resultCount);
    this.resultStates = new Uint8Array(resultCount);
    this.resultReasons = new Int32Array(resultCount);
  }

  handleNew(): i32 {
    this.handleLast = this.handleLast == 0x7fffffff ? 1 : this.handleLast + 1;
    return this.handleLast;
  }

  /** Events that still fit. */
  room(): i32 {
    return this.kinds.length - this.count;
  }

  push(kind: i32, handle: i32, reason: i32): void {
    this.pushWithState(kind, handle, reason, 0);
  }

  private pushWithState(kind: i32, handle: i32, reason: i32, state: i32): void {
    const capacity = this.kinds.length;
    if (this.count == capacity) {
      this.dropped++;
      return;
    }
    let index = this.head + this.count;
    if (index >= capacity) index -= capacity;
    this.kinds[index] = kind;
    this.handles[index] = handle;
    this.reasons[index] = reason;
    this.states[index] = state;
    this.count++;
  }

  /** The next event's kind (EVENT_NONE when there is none); its fields land in kind/handle/reason. */
  take(): i32 {
    if (this.count == 0) {
      this.kind = EVENT_NONE;
      return EVENT_NONE;
    }
    const kind: i32 = this.kinds[this.head];
    this.kind = kind;
    this.handle = this.handles[this.head];
    this.reason = this.reasons[this.head];
    const state: i32 = this.states[this.head];
    this.state = state;
    this.head = this.head + 1 == this.kinds.length ? 0 : this.head + 1;
    this.count--;
    return kind;
  }

  /** Whether an EVENT_MESSAGE is still waiting to be taken. */
  holdsMessage(): bool {
    for (let i = 0; i < this.count; i++) {
      let index = this.head + i;
      if (index >= this.kinds.length) index -= this.kinds.length;
      if (this.kinds[index] == EVENT_MESSAGE) return true;
    }
    return false;
  }

  /** Records how `handle` ended and reports it as `kind`. */
  finish(kind: i32, handle: i32, state: i32, reason: i32): void {
    const index = this.resultNext;
    this.resultHandles[index] = handle;
    this.resultStates[index] = state;
    this.resultReasons[index] = reason;
    this.resultNext = index + 1 == this.resultHandles.length ? 0 : index + 1;
    this.pushWithState(kind, handle, reason, state);
  }

  /** The final state of `handle` if it is remembered, else HANDLE_UNKNOWN; its reason in `reason`. */
  result(handle: i32): i32 {
    for (let i = 0; i < this.resultHandles.length; i++) {
      if (this.resultHandles[i] == handle && handle != 0) {
        this.reason = this.resultReasons[i];
        const state: i32 = this.resultStates[i];
        return state;
      }
    }
    return HANDLE_UNKNOWN;
  }
}
