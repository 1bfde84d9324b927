/**
 * A codec with its own windows: what a host that only frames bytes needs. It owns one receive
 * window and one transmit window of `packetSizeMax` bytes and one PacketRepr, all allocated by
 * the constructor; `decode` and `encode` allocate nothing.
 */
import { Limits } from "../limits";
import { PacketRepr, packetDecode, packetEncode } from "./packet";

export class Codec {
  readonly limits: Limits;
  readonly rx: Uint8Array;
  readonly tx: Uint8Array;
  readonly packet: PacketRepr;

  constructor(limits: Limits) {
    this.limits = limits;
    this.rx = new Uint8Array(limits.packetSizeMax);
    this.tx = new Uint8Array(limits.packetSizeMax);
    this.packet = new PacketRepr(limits);
  }

  /** Decodes the packet at the start of `rx[0 .. length)`; the packetDecode contract. */
  decode(length: i32, version: i32): i32 {
    return packetDecode(this.rx, 0, length, this.packet, version, this.limits.packetSizeMax);
  }

  /** Encodes `packet` into `tx`. Returns bytes or ERR_TARGET_SPACE. */
  encode(): i32 {
    return packetEncode(this.packet, this.tx, 0);
  }
}
