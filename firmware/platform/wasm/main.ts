/**
 * The WASM module's exports for a host (the Node gateway, the wasmtime simulator). Until the
 * broker lands this is the codec: the host sizes it once with `init`, writes received bytes at
 * `rxPointer()`, and reads what `encode` wrote at `txPointer()`. Numbers only cross the
 * boundary; one call per socket read, never per byte.
 */
import { Limits } from "../../limits";
import { Codec } from "../../codec/codec";

const limits: Limits = new Limits();
let codec: Codec | null = null;

/** Sizes every table from the board profile. Returns 0, or limitsCheck's complaint. */
export function init(packetSizeMax: i32, propertyCountMax: i32, topicFilterCountMax: i32): i32 {
  const check = limits.configure(packetSizeMax, propertyCountMax, topicFilterCountMax);
  if (check != 0) return check;
  codec = new Codec(limits);
  return 0;
}

export function rxPointer(): usize {
  return codec!.rx.dataStart;
}

export function txPointer(): usize {
  return codec!.tx.dataStart;
}

/** Decodes the packet at the start of the receive window: bytes consumed, 0 need more, or an error. */
export function decode(length: i32, version: i32): i32 {
  return codec!.decode(length, version);
}

/** Type of the packet last decoded. */
export function packetType(): i32 {
  return codec!.packet.type;
}

/** Encodes the packet last decoded into the transmit window; returns its length. */
export function encode(): i32 {
  return codec!.encode();
}
