/**
 * What the broker asks of the world about who may do what: is this CONNECT's identity good,
 * and may this client read, write or subscribe to this topic. The answers live outside the
 * core because the inputs do: password files, ACL files, certificates — and because checking a
 * Mosquitto `$7$` password is PBKDF2-SHA512 (101+ rounds), a host crypto primitive that costs
 * far less in Node's crypto than in WASM or an interpreter. The core only hears yes or no.
 *
 * The base class allows everything; a platform overrides it (firmware/platform/wasm/broker.ts
 * asks the Node host through two imports).
 */
import { Span } from "../core/bytes";

/** Delivery of a message to a subscriber (ACL "read"). */
export const ACCESS_READ: i32 = 1;
/** A PUBLISH from the client (ACL "write"). */
export const ACCESS_WRITE: i32 = 2;
/** A SUBSCRIBE to a filter (checked like Mosquitto 2.0 does, against read rules). */
export const ACCESS_SUBSCRIBE: i32 = 4;

export class Security {
  /**
   * Judges a CONNECT from connection `slot`. Returns 0 to accept,
   * or the MQTT 5 CONNACK reason to refuse with: 0x86 bad user name or password, 0x87 not
   * authorized (the broker maps them to 3.1.1 return codes 4 and 5).
   */
  authenticate(slot: i32, clientId: Span, hasUsername: bool, username: Span, hasPassword: bool, password: Span): i32 {
    return 0;
  }

  /**
   * True when client `clientId`, logged in as `username` (`hasUsername` false: anonymous), may
   * have `access` (ACCESS_*) to `topic`. The broker asks through Permissions (broker/
   * permissions.ts), after its own rules for `$SYS` and `$share`.
   */
  authorize(clientId: Span, hasUsername: bool, username: Span, access: i32, topic: Span): bool {
    return true;
  }
}
