/**
 * CRC-32 (IEEE 802.3, the zlib/PNG one: reflected, polynomial 0xEDB88320, initial and final
 * value 0xFFFFFFFF), which the store puts on every record. Bitwise, with no table: 1 KB of
 * table would cost more RAM than an ESP8266 store's records, and a record is short. Returned as
 * an i32 holding the u32's bits, the same in both builds.
 */

/** The reflected polynomial 0xEDB88320, as the i32 with its bits (a literal above 2^31 would be an i64 in AssemblyScript). */
const POLYNOMIAL: i32 = -306674912;

/** Continues `crc` (start with CRC32_START) over `source[offset .. offset+length)`. */
export function crc32Update(crc: i32, source: Uint8Array, offset: i32, length: i32): i32 {
  let value = crc;
  for (let i = 0; i < length; i++) {
    const byte: i32 = source[offset + i];
    value ^= byte;
    for (let bit = 0; bit < 8; bit++) value = (value >>> 1) ^ (POLYNOMIAL & -(value & 1));
  }
  return value;
}

export const CRC32_START: i32 = -1;

/** Finishes a running CRC. */
export function crc32Final(crc: i32): i32 {
  return ~crc;
}

/** CRC-32 of `source[offset .. offset+length)`. */
export function crc32(source: Uint8Array, offset: i32, length: i32): i32 {
  return crc32Final(crc32Update(CRC32_START, source, offset, length));
}
