/**
 * Topic names, topic filters and matching (MQTT 3.1.1 §4.7, MQTT 5 §4.7).
 *
 * A topic name never holds a wildcard (MQTT-3.3.2-2). In a filter `+` fills a whole level and
 * `#` is the whole last level (MQTT-4.7.1-2, -3). Filters that start with a wildcard do not
 * match names that start with `$` (MQTT-4.7.2-1). `#` also matches the parent level: `a/#`
 * matches `a`. Matching walks both strings once, so its cost is bounded by their lengths.
 * All functions take spans of bytes already checked for UTF-8.
 */
import { Span } from "../core/bytes";

const SLASH: i32 = 0x2f;
const PLUS: i32 = 0x2b;
const HASH: i32 = 0x23;
const DOLLAR: i32 = 0x24;

/** True when a non-empty topic name holds no wildcard character. */
export function topicNameValid(name: Span): bool {
  for (let i = 0; i < name.length; i++) {
    const c = name.at(i);
    if (c == PLUS || c == HASH) return false;
  }
  return true;
}

/** True when `filter` is non-empty and its wildcards sit where MQTT-4.7.1-2/-3 allow. */
export function topicFilterValid(filter: Span): bool {
  const length = filter.length;
  if (length == 0) return false; // MQTT-4.7.3-1
  for (let i = 0; i < length; i++) {
    const c = filter.at(i);
    if (c != PLUS && c != HASH) continue;
    const alonePrevious = i == 0 || filter.at(i - 1) == SLASH;
    if (!alonePrevious) return false;
    if (c == HASH && i != length - 1) return false;
    if (c == PLUS && i + 1 < length && filter.at(i + 1) != SLASH) return false;
  }
  return true;
}

/** True when topic `name` matches `filter`; both valid, the filter without a `$share/` prefix. */
export function topicMatches(filter: Span, name: Span): bool {
  const filterLength = filter.length;
  const nameLength = name.length;
  if (nameLength > 0 && name.at(0) == DOLLAR && filterLength > 0) {
    const first = filter.at(0);
    if (first == PLUS || first == HASH) return false;
  }
  let f = 0;
  let n = 0;
  // Each pass consumes at least one byte of the filter or of the name.
  while (true) {
    if (f == filterLength) return n == nameLength;
    const c = filter.at(f);
    if (c == HASH) return true;
    if (c == PLUS) {
      while (n < nameLength && name.at(n) != SLASH) n++;
      f++;
      continue;
    }
    if (n == nameLength) {
      // "a/#" matches "a": what is left of the filter is exactly "/#".
      return c == SLASH && f + 2 == filterLength && filter.at(f + 1) == HASH;
    }
    if (c != name.at(n)) return false;
    f++;
    n++;
  }
  return false;
}
