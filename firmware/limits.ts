/**
 * Every capacity and size in wrenmq, named *_MAX / *_SIZE, each saying what it sizes.
 *
 * The constants are the defaults and hard ceilings; a board profile (`boards/*.json`) may lower
 * or raise the run-time values in `Limits`, which `init()` reads once to size every table and
 * buffer. Nothing is sized after `init()`. `limitsCheck()` states the relations between limits
 * and is run at init and by a test.
 */

/** Largest packet accepted or sent, fixed header included. Sizes each RX window and TX scratch. */
export const PACKET_SIZE_MAX: i32 = 4096;
/** The protocol's own ceiling on Remaining Length: 4 varint bytes (MQTT 5 §1.5.5). */
export const REMAINING_LENGTH_MAX: i32 = 268435455;
/** Fixed header bytes at most: 1 type byte and a 4-byte Remaining Length. */
export const FIXED_HEADER_SIZE_MAX: i32 = 5;
/** MQTT 5 properties one packet (or one will) may carry. Sizes each PropertiesRepr. */
export const PROPERTY_COUNT_MAX: i32 = 32;
/** Topic filters one SUBSCRIBE or UNSUBSCRIBE may carry in full. Sizes SubscribeRepr. */
export const TOPIC_FILTER_COUNT_MAX: i32 = 16;
/** Topic levels a filter or name may have; bounds the matcher's loop (a/b/c is 3 levels). */
export const TOPIC_LEVEL_COUNT_MAX: i32 = 32;

/** Run-time limits, filled once from the board profile at init. */
export class Limits {
  packetSizeMax: i32 = PACKET_SIZE_MAX;
  propertyCountMax: i32 = PROPERTY_COUNT_MAX;
  topicFilterCountMax: i32 = TOPIC_FILTER_COUNT_MAX;

  /** Sets the limits a host passes in (from a board profile). Returns 0, or limitsCheck's complaint. */
  configure(packetSizeMax: i32, propertyCountMax: i32, topicFilterCountMax: i32): i32 {
    this.packetSizeMax = packetSizeMax;
    this.propertyCountMax = propertyCountMax;
    this.topicFilterCountMax = topicFilterCountMax;
    return limitsCheck(this);
  }
}

/** Returns 0 when the limits are consistent, or a negative number naming the first broken rule. */
export function limitsCheck(limits: Limits): i32 {
  // The smallest useful packet: CONNECT with a short client id and a few properties.
  if (limits.packetSizeMax < 64 || limits.packetSizeMax > REMAINING_LENGTH_MAX + FIXED_HEADER_SIZE_MAX) return -1;
  if (limits.propertyCountMax < 1) return -2;
  if (limits.topicFilterCountMax < 1) return -3;
  return 0;
}
