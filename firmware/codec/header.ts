/**
 * The fixed header (MQTT 5 §2.1) and the framing contract every decoder shares.
 *
 * A decoder is handed a window that may hold less than a packet, exactly one, or more. It
 * returns the bytes of the one packet it consumed (> 0), 0 when the window ends before the
 * packet does ("need more": every strict prefix of a valid packet gives 0), or a negative
 * `ERR_*`. Errors that the first bytes already prove (type 0, a fifth Remaining Length byte)
 * are reported without waiting for the rest.
 */
import { ERR_LENGTH, ERR_PACKET_TYPE, ERR_RESERVED_FLAGS, ERR_TARGET_SPACE, ERR_VARINT } from "../core/errors";
import { Reader, Writer, VARINT_NEED_MORE, varintDecode, varintLastSize, varintSize } from "../core/bytes";
import { PUBLISH, PUBREL, SUBSCRIBE, UNSUBSCRIBE } from "./constants";

export class FixedHeaderRepr {
  /** Control packet type, 1–15. */
  type: i32 = 0;
  /** The low nibble of the first byte. */
  flags: i32 = 0;
  remainingLength: i32 = 0;
  /** Bytes of the fixed header itself, 2–5. */
  headerLength: i32 = 0;
}

/** Decodes a fixed header. Returns its length (2–5), 0 for need more, or an error. */
export function fixedHeaderDecode(source: Uint8Array, offset: i32, length: i32, target: FixedHeaderRepr): i32 {
  if (length < 1) return 0;
  const first: i32 = source[offset];
  target.type = first >> 4;
  target.flags = first & 0x0f;
  if (target.type == 0) return ERR_PACKET_TYPE; // reserved (MQTT 5 §2.1.2)
  const remaining = varintDecode(source, offset + 1, offset + length);
  if (remaining == VARINT_NEED_MORE) return 0;
  if (remaining < 0) return ERR_VARINT;
  target.remainingLength = remaining;
  target.headerLength = 1 + varintLastSize;
  return target.headerLength;
}

/** The flags the spec fixes for `type` (MQTT 5 §2.1.3); -1 for PUBLISH, whose flags carry data. */
export function fixedHeaderFlags(type: i32): i32 {
  if (type == PUBLISH) return -1;
  if (type == PUBREL || type == SUBSCRIBE || type == UNSUBSCRIBE) return 2;
  return 0;
}

/** Bytes of a whole packet whose Remaining Length is `remainingLength`. */
export function packetLength(remainingLength: i32): i32 {
  return 1 + varintSize(remainingLength) + remainingLength;
}

export function fixedHeaderEncode(type: i32, flags: i32, remainingLength: i32, writer: Writer): void {
  writer.u8((type << 4) | flags);
  writer.varint(remainingLength);
}

/** The header of the packet being decoded; decoders share it and the reader below. */
export const frameHeader: FixedHeaderRepr = new FixedHeaderRepr();
/** Reads the body of the packet being decoded, bounded by its Remaining Length. */
export const frameReader: Reader = new Reader();

/**
 * Frames one packet of `type` at `source[offset ..)`: checks type and fixed flags and points
 * `frameReader` at the body. Returns the whole packet's length, 0 for need more, or an error.
 */
export function frameBegin(source: Uint8Array, offset: i32, length: i32, type: i32): i32 {
  const headerLength = fixedHeaderDecode(source, offset, length, frameHeader);
  if (headerLength <= 0) return headerLength;
  if (frameHeader.type != type) return ERR_PACKET_TYPE;
  const flags = fixedHeaderFlags(type);
  if (flags >= 0 && frameHeader.flags != flags) return ERR_RESERVED_FLAGS; // MQTT-2.2.2-2
  const total = headerLength + frameHeader.remainingLength;
  if (total > length) return 0;
  frameReader.reset(source, offset + headerLength, offset + total);
  return total;
}

/** Ends a decode: the reader's error, or ERR_LENGTH for bytes left over, or `total`. */
export function frameEnd(total: i32): i32 {
  if (frameReader.error != 0) return frameReader.error;
  if (frameReader.position != frameReader.end) return ERR_LENGTH;
  return total;
}

/** Shared writer for encoders, pointed at the target by `frameEncodeBegin`. */
export const frameWriter: Writer = new Writer();

/**
 * Starts encoding a packet of `type`: checks that `target[offset ..)` holds all of it, points
 * `frameWriter` there and writes the fixed header. Returns the packet's whole length, or
 * ERR_TARGET_SPACE (our own sizing mistake: nothing is written).
 */
export function frameEncodeBegin(type: i32, flags: i32, remainingLength: i32, target: Uint8Array, offset: i32): i32 {
  const total = packetLength(remainingLength);
  if (offset < 0 || total > target.length - offset) return ERR_TARGET_SPACE;
  frameWriter.reset(target, offset);
  fixedHeaderEncode(type, flags, remainingLength, frameWriter);
  return total;
}
