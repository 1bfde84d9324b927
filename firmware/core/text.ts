/**
 * Writing ASCII into byte windows without building strings: literals (static data, so nothing
 * allocates) and unsigned decimal numbers. Used for `$SYS` topics and payloads.
 */

/** Writes the ASCII string `text` at `target[offset ..)`. Returns the bytes written. */
export function textWrite(target: Uint8Array, offset: i32, text: string): i32 {
  for (let i = 0; i < text.length; i++) target[offset + i] = text.charCodeAt(i);
  return text.length;
}

/** Writes `value`, read as an unsigned 32-bit integer, in decimal. Returns the bytes written. */
export function decimalWrite(target: Uint8Array, offset: i32, value: i32): i32 {
  // Split off the last digit without leaving i32: floor(u / 10) = (u >>> 1) / 5.
  const quotient = ((value >>> 1) / 5) | 0;
  const last = (value - quotient * 10) | 0;
  let written: i32 = 0;
  if (quotient > 0) {
    let divisor: i32 = 1;
    while (((quotient / divisor) | 0) >= 10) divisor = divisor * 10;
    let rest = quotient;
    while (divisor > 0) {
      const digit = (rest / divisor) | 0;
      target[offset + written] = 0x30 + digit;
      written++;
      rest = rest - digit * divisor;
      divisor = (divisor / 10) | 0;
    }
  }
  target[offset + written] = 0x30 + last;
  return written + 1;
}
