/**
 * The WASM module's exports for the gateway host (tools/gateway/): the broker behind a dozen
 * numeric calls. The host sets limits (`limitSet`), calls `init` once, then for each socket:
 * `open`, `input` (after writing the bytes at `rxPointer()`), `output` (reading them at
 * `txPointer()`), `closed`; and `poll` on a timer. One crossing per socket read or write.
 */
import { Limits, brokerLimitsCheck, limitSet as limitsSet } from "../../limits";
import { Broker } from "../../broker/broker";

const limits: Limits = new Limits();
let broker: Broker | null = null;
let rx: Uint8Array | null = null;
let tx: Uint8Array | null = null;

/** Sets limit `id` (LIMIT_* in limits.ts) before `init`. Returns 0, or -1 for an unknown id. */
export function limitSet(id: i32, value: i32): i32 {
  return limitsSet(limits, id, value) ? 0 : -1;
}

/** Allocates every table. Returns 0, or brokerLimitsCheck's complaint. */
export function init(): i32 {
  const check = brokerLimitsCheck(limits);
  if (check != 0) return check;
  rx = new Uint8Array(limits.packetSizeMax);
  tx = new Uint8Array(limits.packetSizeMax);
  broker = new Broker(limits);
  return 0;
}

export function rxPointer(): usize { return rx!.dataStart; }
export function txPointer(): usize { return tx!.dataStart; }
export function rxSize(): i32 { return rx!.length; }

export function open(nowMs: i32): i32 { return broker!.open(nowMs); }
export function input(slot: i32, nowMs: i32, length: i32): i32 { return broker!.input(slot, nowMs, rx!, 0, length); }
export function output(slot: i32, nowMs: i32): i32 { return broker!.output(slot, nowMs, tx!, 0, tx!.length); }
export function closed(slot: i32, nowMs: i32): void { broker!.closed(slot, nowMs); }
export function poll(nowMs: i32): void { broker!.poll(nowMs); }
export function nextWritable(): i32 { return broker!.nextWritable(); }
export function nextEvent(): i32 { return broker!.nextEvent(); }
export function counter(index: i32): i32 { return broker!.counters[index]; }
export function connectedCount(): i32 { return broker!.connected; }
