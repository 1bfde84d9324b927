/**
 * Byte windows and the two cursors every codec function uses.
 *
 * A `Span` names bytes that live in someone else's buffer: decoding fills Spans that point into
 * the packet it read, so nothing is copied and nothing allocated. `Reader` walks a window with a
 * sticky error: once a read runs past the end every later read returns 0 and `error` keeps the
 * first cause, so a decoder can read a whole header and check once. `Writer` assumes its caller
 * measured first (`xxxEncodeLength`) and asserts instead of checking.
 *
 * Integers wider than 8 bits are big-endian (MQTT 3.1.1 §1.5.2). Every value is an i32; 32-bit
 * property values keep their bits (a u32 above 2^31 reads as a negative i32 in both builds).
 */
import { ERR_LENGTH, ERR_VARINT } from "./errors";

/** Shared zero-length buffer, so an empty Span never holds null. */
export const EMPTY_BYTES: Uint8Array = new Uint8Array(0);

/** Bytes at `buffer[offset .. offset + length)`, owned by whoever owns `buffer`. */
export class Span {
  buffer: Uint8Array = EMPTY_BYTES;
  offset: i32 = 0;
  length: i32 = 0;

  set(buffer: Uint8Array, offset: i32, length: i32): void {
    this.buffer = buffer;
    this.offset = offset;
    this.length = length;
  }

  clear(): void {
    this.buffer = EMPTY_BYTES;
    this.offset = 0;
    this.length = 0;
  }

  copyFrom(other: Span): void {
    this.buffer = other.buffer;
    this.offset = other.offset;
    this.length = other.length;
  }

  /** Byte at `index` within the span, widened to i32. */
  at(index: i32): i32 {
    const value: i32 = this.buffer[this.offset + index];
    return value;
  }
}

/** Bytes a Variable Byte Integer takes (MQTT 5 §1.5.5), 1–4; 0 for values out of range. */
export function varintSize(value: i32): i32 {
  if (value < 0) return 0;
  if (value < 128) return 1;
  if (value < 16384) return 2;
  if (value < 2097152) return 3;
  if (value < 268435456) return 4;
  return 0;
}

/** Bytes a UTF-8 string or binary field takes on the wire: a 2-byte length and the data. */
export function lengthPrefixedSize(span: Span): i32 {
  return 2 + span.length;
}

/** Reads big-endian fields from one window with a sticky error. */
export class Reader {
  source: Uint8Array = EMPTY_BYTES;
  position: i32 = 0;
  end: i32 = 0;
  /** 0, or the first error met (ERR_LENGTH when a read ran past `end`). */
  error: i32 = 0;

  reset(source: Uint8Array, offset: i32, end: i32): void {
    this.source = source;
    this.position = offset;
    this.end = end;
    this.error = 0;
  }

  remaining(): i32 {
    return this.end - this.position;
  }

  fail(error: i32): void {
    if (this.error == 0) this.error = error;
    this.position = this.end;
  }

  u8(): i32 {
    if (this.position >= this.end) {
      this.fail(ERR_LENGTH);
      return 0;
    }
    const value: i32 = this.source[this.position];
    this.position++;
    return value;
  }

  u16(): i32 {
    if (this.end - this.position < 2) {
      this.fail(ERR_LENGTH);
      return 0;
    }
    const high: i32 = this.source[this.position];
    const low: i32 = this.source[this.position + 1];
    this.position += 2;
    return (high << 8) | low;
  }

  u32(): i32 {
    if (this.end - this.position < 4) {
      this.fail(ERR_LENGTH);
      return 0;
    }
    const b0: i32 = this.source[this.position];
    const b1: i32 = this.source[this.position + 1];
    const b2: i32 = this.source[this.position + 2];
    const b3: i32 = this.source[this.position + 3];
    this.position += 4;
    return (b0 << 24) | (b1 << 16) | (b2 << 8) | b3;
  }

  /** Variable Byte Integer: at most 4 bytes and in its shortest form (MQTT-1.5.5-1). */
  varint(): i32 {
    const result = varintDecode(this.source, this.position, this.end);
    if (result < 0) {
      this.fail(result == VARINT_NEED_MORE ? ERR_LENGTH : ERR_VARINT);
      return 0;
    }
    this.position += varintLastSize;
    return result;
  }

  /** A 2-byte length and that many bytes, into `target` (which then points into `source`). */
  lengthPrefixed(target: Span): void {
    const length = this.u16();
    if (this.error != 0) return;
    if (length > this.end - this.position) {
      this.fail(ERR_LENGTH);
      return;
    }
    target.set(this.source, this.position, length);
    this.position += length;
  }

  /** `length` raw bytes into `target`. */
  bytes(target: Span, length: i32): void {
    if (length > this.end - this.position) {
      this.fail(ERR_LENGTH);
      return;
    }
    target.set(this.source, this.position, length);
    this.position += length;
  }
}

/** `varintDecode` result when the window ends before the last byte. */
export const VARINT_NEED_MORE: i32 = -1000;
/** Bytes the last successful `varintDecode` consumed (there are no tuples in AssemblyScript). */
export let varintLastSize: i32 = 0;

/**
 * Decodes a Variable Byte Integer at `source[offset..end)`. Returns the value (>= 0) and sets
 * `varintLastSize`, or VARINT_NEED_MORE, or ERR_VARINT for a fifth byte or an overlong form:
 * a final byte of 0 after a continuation byte encodes a value that fits in fewer bytes.
 */
export function varintDecode(source: Uint8Array, offset: i32, end: i32): i32 {
  let value: i32 = 0;
  let shift: i32 = 0;
  for (let i = 0; i < 4; i++) {
    if (offset + i >= end) return VARINT_NEED_MORE;
    const byte: i32 = source[offset + i];
    value |= (byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) {
      if (i > 0 && byte == 0) return ERR_VARINT;
      varintLastSize = i + 1;
      return value;
    }
    shift += 7;
  }
  return ERR_VARINT;
}

/** Writes big-endian fields into a window its caller has measured. */
export class Writer {
  target: Uint8Array = EMPTY_BYTES;
  position: i32 = 0;

  reset(target: Uint8Array, offset: i32): void {
    this.target = target;
    this.position = offset;
  }

  u8(value: i32): void {
    this.target[this.position] = value;
    this.position++;
  }

  u16(value: i32): void {
    this.target[this.position] = value >> 8;
    this.target[this.position + 1] = value;
    this.position += 2;
  }

  u32(value: i32): void {
    this.target[this.position] = value >> 24;
    this.target[this.position + 1] = value >> 16;
    this.target[this.position + 2] = value >> 8;
    this.target[this.position + 3] = value;
    this.position += 4;
  }

  varint(value: i32): void {
    let rest = value;
    for (let i = 0; i < 4; i++) {
      let byte = rest & 0x7f;
      rest = rest >> 7;
      if (rest != 0) byte |= 0x80;
      this.target[this.position] = byte;
      this.position++;
      if (rest == 0) return;
    }
  }

  bytes(span: Span): void {
    bytesCopy(this.target, this.position, span.buffer, span.offset, span.length);
    this.position += span.length;
  }

  lengthPrefixed(span: Span): void {
    this.u16(span.length);
    this.bytes(span);
  }
}
