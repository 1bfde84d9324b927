// Small builders the as-pect specs share.
import { Span } from "../../firmware/core/bytes";

/** A Uint8Array holding `values`. */
export function bytes(values: i32[]): Uint8Array {
  const result = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) result[i] = values[i];
  return result;
}

/** A Span over the UTF-8 bytes of `value`. */
export function text(value: string): Span {
  const buffer = Uint8Array.wrap(String.UTF8.encode(value));
  const span = new Span();
  span.set(buffer, 0, buffer.length);
  return span;
}
