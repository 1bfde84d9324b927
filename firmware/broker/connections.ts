/**
 * Network connections as the broker core sees them: a slot per open socket, its protocol
 * state, its deadlines, the limits the client announced, its will, and a small control buffer
 * where acknowledgements wait for the host to collect them (`Broker.output`).
 *
 * State machine of a slot:
 *   FREE --open--> AWAITING_CONNECT --CONNECT accepted--> CONNECTED
 *   AWAITING_CONNECT / CONNECTED --error, DISCONNECT, takeover, timeout--> CLOSING
 *   any --host reports the socket closed--> FREE
 * In CLOSING the slot only drains its control buffer (a CONNACK refusal or a DISCONNECT)
 * and ignores input; the host ends the socket once output is empty.
 */
import { Span } from "../core/bytes";

export const CONNECTION_FREE: i32 = 0;
export const CONNECTION_AWAITING_CONNECT: i32 = 1;
export const CONNECTION_CONNECTED: i32 = 2;
export const CONNECTION_CLOSING: i32 = 3;

/** Why `Broker.input` stopped short of the bytes it was given (`inputBlocked`). */
export const INPUT_FLOWING: i32 = 0;
/** The control buffer is nearly full: collect the slot's output, then offer the rest again. */
export const INPUT_CONTROL_FULL: i32 = 1;
/** A connected subscriber's queue is half full: collect output, then offer the rest again. */
export const INPUT_PRESSURE: i32 = 2;
/** A QoS 1/2 PUBLISH waits for a full subscriber: offer it again after output moved. */
export const INPUT_SUBSCRIBER_FULL: i32 = 3;

/** Bytes of each connection's control buffer: room for a CONNACK with properties or a few acks. */
export const CONTROL_SIZE: i32 = 256;
/** Input stops when less than this is free, so any one response still fits. */
export const CONTROL_RESERVE: i32 = 96;

export class Connections {
  readonly state: Uint8Array;
  readonly version: Uint8Array;
  readonly session: Int32Array;
  readonly openedAtMs: Int32Array;
  readonly lastInputMs: Int32Array;
  /** Keep Alive in effect, ms; 0 = none. */
  readonly keepAliveMs: Int32Array;
  /** Maximum Packet Size the client announced (MQTT 5), or 0 for none. */
  readonly clientPacketSizeMax: Int32Array;
  /** Receive Maximum the client announced: QoS 1/2 deliveries it accepts in flight. */
  readonly clientReceiveMax: Int32Array;
  /** The will, a MessagePool slot, or -1; and its QoS and delay. */
  readonly willMessage: Int32Array;
  readonly willDelaySeconds: Int32Array;
  /** Set when the client sent DISCONNECT with reason 0: the will is dropped (MQTT-3.1.2-10). */
  readonly normalDisconnect: Uint8Array;
  /** INPUT_*: why the last input stopped short. A slot waiting for a subscriber (INPUT_SUBSCRIBER_FULL) is never waited for in turn. */
  readonly inputBlocked: Uint8Array;
  /** Set while the host takes no more of the slot's output (`Broker.congestedSet`). */
  readonly congested: Uint8Array;
  /** The CONNECT's Clean Start (Clean Session in 3.x). */
  readonly cleanStart: Uint8Array;
  /** The host's own in-process connections (the bridge's local side), `connectionInternal`. */
  readonly internal: Uint8Array;
  /** The client id (from the CONNECT, or assigned), once a CONNECT has named one. */
  readonly clientIdSizeMax: i32;
  readonly clientIdLength: Int32Array;
  readonly clientIds: Uint8Array;
  /**
   * The user name the connection acts as, or length -1 for none: the one a TLS certificate
   * vouches for (set by the host before CONNECT), else the CONNECT's.
   */
  readonly usernameSizeMax: i32;
  readonly usernameLength: Int32Array;
  readonly usernames: Uint8Array;
  /** Topic aliases set by the client (MQTT 5 §3.3.2.3.4): per slot `aliasCount` MessagePool slots holding only a topic, or -1. */
  readonly aliasCount: i32;
  readonly aliasMessage: Int32Array;
  /** Topic aliases we set towards the client (it allows `clientAliasMax`, at most `aliasCount`), and the next one to reuse. */
  readonly clientAliasMax: Int32Array;
  readonly aliasOutMessage: Int32Array;
  readonly aliasOutNext: Int32Array;
  readonly control: Uint8Array;
  readonly controlLength: Int32Array;
  /** Whether the slot is in the writable ring already. */
  readonly writableQueued: Uint8Array;
  readonly writableRing: Int32Array;
  writableHead: i32 = 0;
  writableLength: i32 = 0;
  used: i32 = 0;
  usedPeak: i32 = 0;
  /** Slots in state CONNECTED. */
  connected: i32 = 0;

  private readonly view: Span = new Span();

  constructor(count: i32, aliasCount: i32, clientIdSizeMax: i32, usernameSizeMax: i32) {
    this.inputBlocked = new Uint8Array(count);
    this.congested = new Uint8Array(count);
    this.cleanStart = new Uint8Array(count);
    this.internal = new Uint8Array(count);
    this.clientIdSizeMax = clientIdSizeMax;
    this.clientIdLength = new Int32Array(count);
    this.clientIds = new Uint8Array(count * clientIdSizeMax);
    this.usernameSizeMax = usernameSizeMax;
    this.usernameLength = new Int32Array(count);
    this.usernames = new Uint8Array(count * usernameSizeMax);
    this.state = new Uint8Array(count);
    this.version = new Uint8Array(count);
    this.session = new Int32Array(count);
    this.openedAtMs = new Int32Array(count);
    this.lastInputMs = new Int32Array(count);
    this.keepAliveMs = new Int32Array(count);
    this.clientPacketSizeMax = new Int32Array(count);
    this.clientReceiveMax = new Int32Array(count);
    this.willMessage = new Int32Array(count);
    this.willDelaySeconds = new Int32Array(count);
    this.normalDisconnect = new Uint8Array(count);
    this.aliasCount = aliasCount;
    this.aliasMessage = new Int32Array(count * aliasCount);
    this.clientAliasMax = new Int32Array(count);
    this.aliasOutMessage = new Int32Array(count * aliasCount);
    this.aliasOutNext = new Int32Array(count);
    this.control = new Uint8Array(count * CONTROL_SIZE);
    this.controlLength = new Int32Array(count);
    this.writableQueued = new Uint8Array(count);
    this.writableRing = new Int32Array(count);
    this.aliasMessage.fill(-1);
    this.aliasOutMessage.fill(-1);
  }

  get count(): i32 {
    return this.state.length;
  }

  /** Claims a free slot. Returns it, or -1. */
  open(nowMs: i32): i32 {
    for (let slot = 0; slot < this.count; slot++) {
      if (this.state[slot] != CONNECTION_FREE) continue;
      this.state[slot] = CONNECTION_AWAITING_CONNECT;
      this.version[slot] = 4;
      this.session[slot] = -1;
      this.openedAtMs[slot] = nowMs;
      this.lastInputMs[slot] = nowMs;
      this.keepAliveMs[slot] = 0;
      this.clientPacketSizeMax[slot] = 0;
      this.clientReceiveMax[slot] = 65535;
      this.clientAliasMax[slot] = 0;
      this.aliasOutNext[slot] = 0;
      this.willMessage[slot] = -1;
      this.willDelaySeconds[slot] = 0;
      this.normalDisconnect[slot] = 0;
      this.cleanStart[slot] = 0;
      this.internal[slot] = 0;
      this.inputBlocked[slot] = INPUT_FLOWING;
      this.congested[slot] = 0;
      this.clientIdLength[slot] = -1;
      this.usernameLength[slot] = -1;
      this.controlLength[slot] = 0;
      this.used++;
      if (this.used > this.usedPeak) this.usedPeak = this.used;
      return slot;
    }
    return -1;
  }

  free(slot: i32): void {
    this.state[slot] = CONNECTION_FREE;
    this.used--;
  }

  clientIdSet(slot: i32, clientId: Span): void {
    this.clientIdLength[slot] = clientId.length;
    bytesCopy(this.clientIds, slot * this.clientIdSizeMax, clientId.buffer, clientId.offset, clientId.length);
  }

  hasUsername(slot: i32): bool {
    return this.usernameLength[slot] >= 0;
  }

  /** Sets the user name (which fits `usernameSizeMax`). */
  usernameSet(slot: i32, username: Span): void {
    this.usernameLength[slot] = username.length;
    bytesCopy(this.usernames, slot * this.usernameSizeMax, username.buffer, username.offset, username.length);
  }

  /** The user name (empty when there is none: see `hasUsername`), as a span valid until the next call. */
  usernameOf(slot: i32): Span {
    const length = this.usernameLength[slot];
    this.view.set(this.usernames, slot * this.usernameSizeMax, length < 0 ? 0 : length);
    return this.view;
  }

  controlRoom(slot: i32): i32 {
    return CONTROL_SIZE - this.controlLength[slot];
  }

  /** Offset in `control` where slot's next response goes. */
  controlEnd(slot: i32): i32 {
    return slot * CONTROL_SIZE + this.controlLength[slot];
  }

  /** Records `length` bytes written at `controlEnd(slot)` and marks the slot writable. */
  controlCommit(slot: i32, length: i32): void {
    this.controlLength[slot] += length;
    this.markWritable(slot);
  }

  markWritable(slot: i32): void {
    if (this.writableQueued[slot] != 0) return;
    this.writableQueued[slot] = 1;
    this.writableRing[(this.writableHead + this.writableLength) % this.writableRing.length] = slot;
    this.writableLength++;
  }

  /** The next slot with something to send, or -1. */
  nextWritable(): i32 {
    if (this.writableLength == 0) return -1;
    const slot = this.writableRing[this.writableHead];
    this.writableHead = (this.writableHead + 1) % this.writableRing.length;
    this.writableLength--;
    this.writableQueued[slot] = 0;
    return slot;
  }
}
