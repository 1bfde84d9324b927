/**
 * The WASM module's exports for a client host (tools/client/): the client behind numeric calls
 * and three windows in linear memory (`rxPointer`, `txPointer`, `stagePointer`). See
 * ../client_api.ts for the calls; this file only forwards them.
 */
import { ClientApi } from "../client_api";
import { HostFlash } from "./flash_host";
import { LogStore } from "../../store/log";

const api: ClientApi = new ClientApi();

export function limitSet(id: i32, value: i32): i32 { return api.limitSet(id, value); }
export function init(): i32 { return api.init(null); }

/**
 * Like `init`, with the outbox and QoS 2 receipts in a LogStore on the host's flash
 * (`flashErase`/`flashProgram`/`flashRead` imports) of `sectorCount` sectors. Recovers what the
 * flash holds; `restore` then hands it to the client. Returns 0, a limits complaint, or -100
 * when the flash cannot be read.
 */
export function initWithFlash(sectorSize: i32, sectorCount: i32, writeSize: i32): i32 {
  const limits = api.limits;
  const store = new LogStore(new HostFlash(sectorSize, sectorCount, writeSize), limits.outgoingCountMax + limits.incomingCountMax, limits.packetSizeMax);
  if (store.recover() != 0) return -100;
  return api.init(store);
}
export function rxPointer(): usize { return api.rx.dataStart; }
export function txPointer(): usize { return api.tx.dataStart; }
export function stagePointer(): usize { return api.stage.dataStart; }
export function windowSize(): i32 { return api.rx.length; }
export function stageSize(): i32 { return api.stage.length; }
export function optionSet(id: i32, value: i32): i32 { return api.optionSet(id, value); }
export function optionBytes(id: i32, length: i32): i32 { return api.optionBytes(id, length); }
export function restore(nowMs: i32): i32 { return api.restore(nowMs); }
export function start(nowMs: i32): void { api.start(nowMs); }
export function stop(nowMs: i32, reason: i32): void { api.stop(nowMs, reason); }
export function poll(nowMs: i32): void { api.poll(nowMs); }
export function pollAtMs(nowMs: i32): i32 { return api.pollAtMs(nowMs); }
export function opened(nowMs: i32): void { api.opened(nowMs); }
export function closed(nowMs: i32): void { api.closed(nowMs); }
export function input(nowMs: i32, length: i32): i32 { return api.input(nowMs, length); }
export function output(nowMs: i32): i32 { return api.output(nowMs); }
export function publish(topicLength: i32, propertiesLength: i32, payloadLength: i32, qos: i32, retain: i32, policy: i32, nowMs: i32): i32 {
  return api.publish(topicLength, propertiesLength, payloadLength, qos, retain, policy, nowMs);
}
export function subscribe(length: i32, options: i32): i32 { return api.subscribe(length, options); }
export function unsubscribe(length: i32): i32 { return api.unsubscribe(length); }
export function status(handle: i32): i32 { return api.status(handle); }
export function nextEvent(): i32 { return api.nextEvent(); }
export function eventHandle(): i32 { return api.eventHandle(); }
export function eventReason(): i32 { return api.eventReason(); }
export function eventState(): i32 { return api.eventState(); }
export function state(): i32 { return api.state(); }
export function counter(index: i32): i32 { return api.counter(index); }
export function messageCopy(): i32 { return api.messageCopy(); }
export function messagePayloadLength(): i32 { return api.messagePayloadLength(); }
export function messagePropertiesLength(): i32 { return api.messagePropertiesLength(); }
export function messageFlags(): i32 { return api.messageFlags(); }
