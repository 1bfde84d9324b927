/**
 * The WASM module's exports for the gateway host (tools/gateway/): the broker behind a dozen
 * numeric calls. The host sets limits (`limitSet`), calls `init` once, then for each socket:
 * `open`, `input` (after writing the bytes at `rxPointer()`), `output` (reading them at
 * `txPointer()`), `closed`; and `poll` on a timer. One crossing per socket read or write.
 */
import { Limits, brokerLimitsCheck, limitSet as limitsSet } from "../../limits";
import { Broker } from "../../broker/broker";
import { Span } from "../../core/bytes";
import { Security } from "../../hal/security";
import { LogStore } from "../../store/log";
import { HostFlash } from "./flash_host";

// The host's answers (tools/gateway/host.mjs): strings cross as (pointer, length) into memory.
@external("env", "authenticate")
declare function hostAuthenticate(slot: i32, clientId: usize, clientIdLength: i32, username: usize, usernameLength: i32,
  password: usize, passwordLength: i32): i32;
@external("env", "authorize")
declare function hostAuthorize(clientId: usize, clientIdLength: i32, username: usize, usernameLength: i32, access: i32,
  topic: usize, topicLength: i32): i32;

function pointerOf(span: Span): usize {
  return span.buffer.dataStart + <usize>span.offset;
}

/** Asks the host; only installed when the host has a password file or an ACL (`securityUse`). */
class HostSecurity extends Security {
  authenticateOn: bool = false;
  authorizeOn: bool = false;

  authenticate(slot: i32, clientId: Span, hasUsername: bool, username: Span, hasPassword: bool, password: Span): i32 {
    if (!this.authenticateOn) return 0;
    return hostAuthenticate(slot, pointerOf(clientId), clientId.length, pointerOf(username), hasUsername ? username.length : -1,
      pointerOf(password), hasPassword ? password.length : -1);
  }

  authorize(clientId: Span, hasUsername: bool, username: Span, access: i32, topic: Span): bool {
    if (!this.authorizeOn) return true;
    return hostAuthorize(pointerOf(clientId), clientId.length, pointerOf(username), hasUsername ? username.length : -1, access,
      pointerOf(topic), topic.length) != 0;
  }
}

const security: HostSecurity = new HostSecurity();

/**
 * Whether to ask the host about CONNECTs (password file, anonymous rules) and about topics
 * (ACL): before `init`, and again whenever the host's tables change (a reload).
 */
export function securityUse(authenticate: i32, authorize: i32): void {
  security.authenticateOn = authenticate != 0;
  security.authorizeOn = authorize != 0;
}

const limits: Limits = new Limits();
let broker: Broker | null = null;
let rx: Uint8Array | null = null;
let tx: Uint8Array | null = null;

/** Sets limit `id` (LIMIT_* in limits.ts) before `init`. Returns 0, or -1 for an unknown id. */
export function limitSet(id: i32, value: i32): i32 {
  return limitsSet(limits, id, value) ? 0 : -1;
}

/** Allocates every table, keeping everything in RAM. Returns 0, or brokerLimitsCheck's complaint. */
export function init(): i32 {
  const check = brokerLimitsCheck(limits);
  if (check != 0) return check;
  rx = new Uint8Array(limits.packetSizeMax);
  tx = new Uint8Array(limits.packetSizeMax);
  broker = new Broker(limits, security, null);
  return 0;
}

let store: LogStore | null = null;

/**
 * `init` with persistent state in the host's flash (the flashErase/Program/Read imports):
 * recovers the log, then rebuilds sessions, queues and retained messages from it. Returns 0;
 * brokerLimitsCheck's complaint; -100 when the flash cannot be read; -101 when a sector cannot
 * hold the largest record (a packet and its header).
 */
export function initWithFlash(sectorSize: i32, sectorCount: i32, writeSize: i32, nowMs: i32): i32 {
  const check = brokerLimitsCheck(limits);
  if (check != 0) return check;
  if (sectorSize < limits.packetSizeMax + 64 || sectorCount < 3) return -101;
  const log = new LogStore(new HostFlash(sectorSize, sectorCount, writeSize), limits.storeRecordCountMax, limits.packetSizeMax + 16);
  if (log.recover() != 0) return -100;
  store = log;
  rx = new Uint8Array(limits.packetSizeMax);
  tx = new Uint8Array(limits.packetSizeMax);
  const created = new Broker(limits, security, log);
  broker = created;
  restoredCount = created.restore(nowMs);
  return 0;
}

let restoredCount: i32 = 0;
/** Records `initWithFlash` restored. */
export function restored(): i32 { return restoredCount; }
/** Records whose CRC failed when the log was recovered (torn or corrupted): reported, not used. */
export function storeCorrupt(): i32 { return store != null ? store!.corruptRecords : 0; }
/** Live records in the store. */
export function storeCount(): i32 { return store != null ? store!.count : 0; }

export function rxPointer(): usize { return rx!.dataStart; }
export function txPointer(): usize { return tx!.dataStart; }
export function rxSize(): i32 { return rx!.length; }

export function open(nowMs: i32): i32 { return broker!.open(nowMs); }
export function input(slot: i32, nowMs: i32, length: i32): i32 { return broker!.input(slot, nowMs, rx!, 0, length); }
export function output(slot: i32, nowMs: i32): i32 { return broker!.output(slot, nowMs, tx!, 0, tx!.length); }
export function closed(slot: i32, nowMs: i32): void { broker!.closed(slot, nowMs); }
/** Why the last `input` on `slot` stopped short: INPUT_* in broker/connections.ts (0: it did not pause). */
export function inputBlocked(slot: i32): i32 { return broker!.inputBlocked(slot); }
/** The host holds too much of `slot`'s output (1) or has drained it (0): see Broker.congestedSet. */
export function congestedSet(slot: i32, congested: i32): void { broker!.congestedSet(slot, congested != 0); }
export function poll(nowMs: i32): void { broker!.poll(nowMs); }
export function nextWritable(): i32 { return broker!.nextWritable(); }
/** Pulls the next event: its kind (EVENT_* in broker/counters.ts), or -1; then `eventSlot` and `eventReason`. */
export function nextEvent(): i32 { return broker!.nextEvent(); }
export function eventSlot(): i32 { return broker!.eventSlot; }
export function eventReason(): i32 { return broker!.eventReason; }

// What a connection is, for the host's log: valid from its EVENT_CONNECTED until it is `closed`
// (the client id from its CONNECT on, so a refusal can name it too).
export function connectionClientIdPointer(slot: i32): usize {
  return broker!.connections.clientIds.dataStart + <usize>(slot * broker!.connections.clientIdSizeMax);
}
/** Length of the client id, or -1 before a CONNECT named one. */
export function connectionClientIdLength(slot: i32): i32 { return broker!.connections.clientIdLength[slot]; }
export function connectionUsernamePointer(slot: i32): usize {
  return broker!.connections.usernames.dataStart + <usize>(slot * broker!.connections.usernameSizeMax);
}
/** Length of the user name, or -1 for none. */
export function connectionUsernameLength(slot: i32): i32 { return broker!.connections.usernameLength[slot]; }
export function connectionVersion(slot: i32): i32 { return broker!.connections.version[slot]; }
export function connectionKeepAlive(slot: i32): i32 { return broker!.connections.keepAliveMs[slot] / 1000; }
export function connectionCleanStart(slot: i32): i32 { return broker!.connections.cleanStart[slot]; }

/**
 * Right after `open`: the connection acts as the user name in `rx[0 .. length)`, which a TLS
 * client certificate vouches for (use_identity_as_username). Returns 0, or -1 when it is longer
 * than usernameSizeMax (the host refuses the socket).
 */
export function connectionIdentity(slot: i32, length: i32): i32 {
  const connections = broker!.connections;
  if (length > connections.usernameSizeMax) return -1;
  identity.set(rx!, 0, length);
  connections.usernameSet(slot, identity);
  return 0;
}
const identity: Span = new Span();

/** Right after `open`: the connection is the host's own (the bridge's local side), which may write $SYS. */
export function connectionInternal(slot: i32): void { broker!.connections.internal[slot] = 1; }
export function counter(index: i32): i32 { return broker!.counters[index]; }
export function connectedCount(): i32 { return broker!.connections.connected; }
