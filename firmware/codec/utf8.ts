/**
 * UTF-8 rules for MQTT strings (MQTT 3.1.1 §1.5.3, MQTT 5 §1.5.4): well-formed per RFC 3629
 * (no overlong forms, nothing above U+10FFFF), no UTF-16 surrogates U+D800..U+DFFF
 * (MQTT-1.5.4-1) and no U+0000 (MQTT-1.5.4-2). Control and non-characters are allowed: the
 * spec only says a sender SHOULD NOT use them.
 */

/** True when `source[offset .. offset+length)` is an acceptable MQTT UTF-8 string. */
export function utf8Valid(source: Uint8Array, offset: i32, length: i32): bool {
  const end = offset + length;
  let i = offset;
  while (i < end) {
    const lead: i32 = source[i];
    if (lead >= 0x01 && lead <= 0x7f) {
      i++;
      continue;
    }
    // Each branch fixes the continuation count and the allowed range of the second byte,
    // which is what rules out overlong forms, surrogates and values above U+10FFFF.
    let continuation: i32 = 0;
    let secondMin: i32 = 0x80;
    let secondMax: i32 = 0xbf;
    if (lead >= 0xc2 && lead <= 0xdf) {
      continuation = 1;
    } else if (lead == 0xe0) {
      continuation = 2;
      secondMin = 0xa0;
    } else if (lead == 0xed) {
      continuation = 2;
      secondMax = 0x9f;
    } else if (lead >= 0xe1 && lead <= 0xef) {
      continuation = 2;
    } else if (lead == 0xf0) {
      continuation = 3;
      secondMin = 0x90;
    } else if (lead >= 0xf1 && lead <= 0xf3) {
      continuation = 3;
    } else if (lead == 0xf4) {
      continuation = 3;
      secondMax = 0x8f;
    } else {
      return false; // U+0000, a stray continuation byte, 0xC0/0xC1 overlong leads, 0xF5..0xFF
    }
    if (end - i <= continuation) return false;
    const second: i32 = source[i + 1];
    if (second < secondMin || second > secondMax) return false;
    for (let k = 2; k <= continuation; k++) {
      const next: i32 = source[i + k];
      if ((next & 0xc0) != 0x80) return false;
    }
    i += continuation + 1;
  }
  return true;
}
