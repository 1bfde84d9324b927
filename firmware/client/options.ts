/**
 * How the client connects: protocol level, identity, credentials, will, session and timers.
 * Set before `start`; the strings are copied into one buffer of `packetSizeMax` bytes (a CONNECT
 * carrying them must fit in a packet anyway), so the application's own buffers can be reused.
 */
import { Span } from "../core/bytes";
import { MQTT_3_1_1 } from "../codec/constants";

/** Byte-string options, for `setBytes`. */
export const OPTION_CLIENT_ID: i32 = 0;
export const OPTION_USERNAME: i32 = 1;
export const OPTION_PASSWORD: i32 = 2;
export const OPTION_WILL_TOPIC: i32 = 3;
export const OPTION_WILL_PAYLOAD: i32 = 4;
const OPTION_BYTES_COUNT: i32 = 5;

/** Numeric options, for `setNumber` (and the WASM host's `clientOption`). */
export const OPTION_VERSION: i32 = 10;
export const OPTION_KEEP_ALIVE: i32 = 11;
export const OPTION_CLEAN_START: i32 = 12;
export const OPTION_SESSION_EXPIRY: i32 = 13;
export const OPTION_WILL_QOS: i32 = 14;
export const OPTION_WILL_RETAIN: i32 = 15;
export const OPTION_WILL_DELAY: i32 = 16;
export const OPTION_RECONNECT_MIN_MS: i32 = 17;
export const OPTION_RECONNECT_MAX_MS: i32 = 18;
export const OPTION_RECONNECT: i32 = 19;
export const OPTION_QUEUE_POLICY: i32 = 20;
export const OPTION_SEED: i32 = 21;
export const OPTION_PING_TIMEOUT_MS: i32 = 22;
export const OPTION_USERNAME_SET: i32 = 23;
export const OPTION_PASSWORD_SET: i32 = 24;
export const OPTION_WILL_SET: i32 = 25;
export const OPTION_BRIDGE: i32 = 26;

/**
 * What to do with a publish when the outbox (or its store) is full.
 * KEEP_ALL keeps what is queued and refuses the new message (publish returns ERR_QUEUE_FULL);
 * DROP_OLDEST drops the oldest message not yet sent to make room;
 * LATEST first replaces a queued, unsent message on the same topic (a sensor's reading is only
 * worth its latest value), and otherwise drops the oldest.
 */
export const POLICY_KEEP_ALL: i32 = 0;
export const POLICY_DROP_OLDEST: i32 = 1;
export const POLICY_LATEST: i32 = 2;

export class ClientOptions {
  version: i32 = MQTT_3_1_1;
  /** Seconds; 0 turns keepalive off. */
  keepAlive: i32 = 60;
  /** Clean Session (3.x) / Clean Start (5.0), sent on every connect. */
  cleanStart: bool = true;
  /** MQTT 5 Session Expiry Interval in seconds (0xffffffff = never, as -1). */
  sessionExpiry: i32 = 0;
  usernameSet: bool = false;
  passwordSet: bool = false;
  willSet: bool = false;
  willQos: i32 = 0;
  willRetain: bool = false;
  /** MQTT 5 Will Delay Interval in seconds. */
  willDelay: i32 = 0;
  /** Announce ourselves as a bridge (protocol level | 0x80, Mosquitto's try_private). */
  bridge: bool = false;
  reconnect: bool = true;
  reconnectMinMs: i32 = 1000;
  reconnectMaxMs: i32 = 60000;
  /** No PINGRESP this long after a PINGREQ closes the connection; 0 = half the keepalive, at least 1 s. */
  pingTimeoutMs: i32 = 0;
  queuePolicy: i32 = POLICY_KEEP_ALL;
  seed: i32 = 0x2545f491;

  readonly bytes: Uint8Array;
  readonly offsets: Int32Array;
  readonly lengths: Int32Array;
  used: i32 = 0;

  constructor(bytesMax: i32) {
    this.bytes = new Uint8Array(bytesMax);
    this.offsets = new Int32Array(OPTION_BYTES_COUNT);
    this.lengths = new Int32Array(OPTION_BYTES_COUNT);
  }

  /** Sets a numeric option. False for an unknown id. */
  setNumber(id: i32, value: i32): bool {
    switch (id) {
      case OPTION_VERSION: this.version = value; break;
      case OPTION_KEEP_ALIVE: this.keepAlive = value; break;
      case OPTION_CLEAN_START: this.cleanStart = value != 0; break;
      case OPTION_SESSION_EXPIRY: this.sessionExpiry = value; break;
      case OPTION_WILL_QOS: this.willQos = value; break;
      case OPTION_WILL_RETAIN: this.willRetain = value != 0; break;
      case OPTION_WILL_DELAY: this.willDelay = value; break;
      case OPTION_RECONNECT_MIN_MS: this.reconnectMinMs = value; break;
      case OPTION_RECONNECT_MAX_MS: this.reconnectMaxMs = value; break;
      case OPTION_RECONNECT: this.reconnect = value != 0; break;
      case OPTION_QUEUE_POLICY: this.queuePolicy = value; break;
      case OPTION_SEED: this.seed = value != 0 ? value : 1; break;
      case OPTION_PING_TIMEOUT_MS: this.pingTimeoutMs = value; break;
      case OPTION_USERNAME_SET: this.usernameSet = value != 0; break;
      case OPTION_PASSWORD_SET: this.passwordSet = value != 0; break;
      case OPTION_WILL_SET: this.willSet = value != 0; break;
      case OPTION_BRIDGE: this.bridge = value != 0; break;
      default: return false;
    }
    return true;
  }

  /**
   * Copies `source[offset .. offset+length)` as byte option `id` (OPTION_CLIENT_ID …), setting
   * the matching *_SET flag for user name, password and will topic. False when it does not fit.
   */
  setBytes(id: i32, source: Uint8Array, offset: i32, length: i32): bool {
    if (id < 0 || id >= OPTION_BYTES_COUNT) return false;
    this.lengths[id] = 0;
    this.pack();
    if (this.used + length > this.bytes.length) return false;
    bytesCopy(this.bytes, this.used, source, offset, length);
    this.offsets[id] = this.used;
    this.lengths[id] = length;
    this.used += length;
    if (id == OPTION_USERNAME) this.usernameSet = true;
    if (id == OPTION_PASSWORD) this.passwordSet = true;
    if (id == OPTION_WILL_TOPIC) this.willSet = true;
    return true;
  }

  /** Points `target` at byte option `id`. */
  get(id: i32, target: Span): void {
    target.set(this.bytes, this.offsets[id], this.lengths[id]);
  }

  /** Moves the byte options to the front, in id order, so freed space is at the end. */
  private pack(): void {
    let used: i32 = 0;
    for (let pass = 0; pass < OPTION_BYTES_COUNT; pass++) {
      // The option with the lowest offset not yet placed goes next: order is kept, moves go left.
      let pick: i32 = -1;
      for (let id = 0; id < OPTION_BYTES_COUNT; id++) {
        if (this.lengths[id] <= 0 || this.offsets[id] < used) continue;
        if (pick < 0 || this.offsets[id] < this.offsets[pick]) pick = id;
      }
      if (pick < 0) break;
      bytesCopy(this.bytes, used, this.bytes, this.offsets[pick], this.lengths[pick]);
      this.offsets[pick] = used;
      used += this.lengths[pick];
    }
    this.used = used;
  }
}
