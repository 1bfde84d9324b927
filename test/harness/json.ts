/**
 * A tiny JSON writer over a caller-owned buffer, for test dumps. Portable AssemblyScript: it
 * runs in both builds so the two can be compared byte for byte. Strings arrive as spans of
 * UTF-8 and are written raw (JSON allows UTF-8), with quote, backslash and control bytes escaped
 * exactly as JSON.stringify escapes them, so a dump equals the stringified expected fields.
 */
import { Span } from "../../firmware/core/bytes";
import { decimalWrite } from "../../firmware/core/text";

const HEX_DIGITS: string = "0123456789abcdef";
/** Escape letters for bytes 0x08..0x0d; "?" marks 0x0b, which has none. */
const SHORT_ESCAPES: string = "btn?fr";

export class JsonWriter {
  target: Uint8Array;
  position: i32 = 0;
  /** True right after `{` or `[`, so the next item needs no comma. */
  first: bool = true;

  constructor(target: Uint8Array) {
    this.target = target;
  }

  reset(): void {
    this.position = 0;
    this.first = true;
  }

  byte(value: i32): void {
    if (this.position < this.target.length) this.target[this.position] = value;
    this.position++;
  }

  text(value: string): void {
    for (let i = 0; i < value.length; i++) this.byte(value.charCodeAt(i));
  }

  separator(): void {
    if (!this.first) this.byte(0x2c);
    this.first = false;
  }

  open(bracket: i32): void {
    this.separator();
    this.byte(bracket);
    this.first = true;
  }

  close(bracket: i32): void {
    this.byte(bracket);
    this.first = false;
  }

  beginObject(): void { this.open(0x7b); }
  endObject(): void { this.close(0x7d); }
  beginArray(): void { this.open(0x5b); }
  endArray(): void { this.close(0x5d); }

  key(name: string): void {
    this.separator();
    this.byte(0x22);
    this.text(name);
    this.byte(0x22);
    this.byte(0x3a);
    this.first = true;
  }

  boolean(value: bool): void {
    this.separator();
    this.text(value ? "true" : "false");
  }

  /** A string item from a literal that needs no escaping. */
  literal(value: string): void {
    this.separator();
    this.byte(0x22);
    this.text(value);
    this.byte(0x22);
  }

  nil(): void {
    this.separator();
    this.text("null");
  }

  /** `value` read as an unsigned 32-bit integer. */
  unsigned(value: i32): void {
    this.separator();
    if (this.position + 10 <= this.target.length) this.position += decimalWrite(this.target, this.position, value);
    else this.position += 10; // past the end: the caller sees the overflow in `position`
  }

  string(span: Span): void {
    this.separator();
    this.byte(0x22);
    for (let i = 0; i < span.length; i++) {
      const c = span.at(i);
      if (c == 0x22 || c == 0x5c) {
        this.byte(0x5c);
        this.byte(c);
      } else if (c == 0x08 || c == 0x09 || c == 0x0a || c == 0x0c || c == 0x0d) {
        // The short escapes, as JSON.stringify writes them, so dumps compare as text.
        this.byte(0x5c);
        this.byte(SHORT_ESCAPES.charCodeAt(c - 8));
      } else if (c < 0x20) {
        this.text("\\u00");
        this.byte(HEX_DIGITS.charCodeAt(c >> 4));
        this.byte(HEX_DIGITS.charCodeAt(c & 15));
      } else {
        this.byte(c);
      }
    }
    this.byte(0x22);
  }

  hex(span: Span): void {
    this.separator();
    this.byte(0x22);
    for (let i = 0; i < span.length; i++) {
      const c = span.at(i);
      this.byte(HEX_DIGITS.charCodeAt(c >> 4));
      this.byte(HEX_DIGITS.charCodeAt(c & 15));
    }
    this.byte(0x22);
  }
}
