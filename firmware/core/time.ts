/**
 * Time in the core. A host passes `nowMs`, a free-running millisecond counter in an i32 that
 * wraps every 49.7 days; the difference of two readings, taken with `| 0`, is right for 24.8
 * days. That is enough for the short deadlines (connect timeout, Keep Alive: at most 65,535 s ×
 * 1.5 = 98,302,500 ms) but not for the intervals MQTT lets reach 0xFFFFFFFF seconds: Session
 * Expiry (MQTT 5 §3.1.2.11.2), Will Delay (§3.1.3.2.2) and Message Expiry (§3.3.2.3.3).
 *
 * The Clock keeps whole seconds since start-up in an i32 (68 years) beside the last reading, and
 * a moment is the pair (seconds, ms) read from it. `intervalPassed` measures an interval from a
 * moment: to the millisecond while it is shorter than SHORT_INTERVAL_SECONDS_MAX (the ms
 * difference is still valid), by whole seconds beyond, never early and at most a second late.
 * An interval of 2^31 s or more (68 years and up, 0xFFFFFFFF included) never passes. Integers
 * only, so both builds agree; the host must call the core at least once every 24 days, which
 * its timer does.
 */

/** Intervals up to this many seconds (23 days) are measured to the millisecond. */
export const SHORT_INTERVAL_SECONDS_MAX: i32 = 2000000;

export class Clock {
  /** Whole seconds since the first reading. */
  seconds: i32 = 0;
  /** The last reading, as the host passed it. */
  nowMs: i32 = 0;
  /** Milliseconds into the current second, 0 .. 999. */
  private fraction: i32 = 0;
  private started: bool = false;

  /** Takes the host's reading. A reading older than the last one leaves the clock where it is. */
  advance(nowMs: i32): void {
    if (!this.started) {
      this.started = true;
      this.nowMs = nowMs;
      return;
    }
    const step = (nowMs - this.nowMs) | 0;
    if (step <= 0) return;
    this.nowMs = nowMs;
    const fraction = this.fraction + (step % 1000);
    this.seconds = (this.seconds + ((step / 1000) | 0) + ((fraction / 1000) | 0)) | 0;
    this.fraction = fraction % 1000;
  }

  /**
   * Whether `intervalSeconds` (a u32 held in an i32: negative means 2^31 or more) have passed
   * since the moment (`sinceSeconds`, `sinceMs`) read from this clock.
   */
  intervalPassed(sinceSeconds: i32, sinceMs: i32, intervalSeconds: i32): bool {
    if (intervalSeconds < 0) return false;
    const elapsedSeconds = (this.seconds - sinceSeconds) | 0;
    if (intervalSeconds <= SHORT_INTERVAL_SECONDS_MAX) {
      // Past the short range the ms difference may have wrapped; the interval is long over.
      if (elapsedSeconds > SHORT_INTERVAL_SECONDS_MAX) return true;
      return ((this.nowMs - sinceMs) | 0) >= intervalSeconds * 1000;
    }
    // The two second counts were each read up to a second late: more than the interval apart
    // in whole seconds means more than the interval in time.
    return elapsedSeconds > intervalSeconds;
  }

  /** Whole seconds since the moment (`sinceSeconds`, `sinceMs`), rounded down (±1 beyond 23 days). */
  elapsedSeconds(sinceSeconds: i32, sinceMs: i32): i32 {
    const elapsedSeconds = (this.seconds - sinceSeconds) | 0;
    if (elapsedSeconds > SHORT_INTERVAL_SECONDS_MAX) return elapsedSeconds;
    return (((this.nowMs - sinceMs) | 0) / 1000) | 0;
  }
}

/**
 * What is left of `intervalSeconds` (a u32 held in an i32) after `elapsedSeconds` (≥ 0), as a
 * u32 held in an i32; 0 when it has run out.
 */
export function intervalRemaining(intervalSeconds: i32, elapsedSeconds: i32): i32 {
  if (intervalSeconds >= 0 && elapsedSeconds >= intervalSeconds) return 0;
  return (intervalSeconds - elapsedSeconds) | 0;
}
