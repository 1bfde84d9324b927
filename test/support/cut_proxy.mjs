// A TCP proxy between one MQTT client and a broker that knows where each packet ends, so a test
// can break the link at an exact packet boundary: "forward N packets client→server, then cut".
// It reads MQTT framing in both directions (fixed header and Remaining Length, MQTT 5 §2.1.4)
// and nothing else, so it works for 3.1.1 and 5.0 alike.
//
// Faults are queued: each accepted connection takes the next one (or none), so a client's
// reconnect gets the next scheduled fault or a clean link. Every connection records the packet
// types it forwarded and dropped per direction, for assertions and for failure messages.
//
// A cut delivers packet N whole and then closes both sides with FIN (`end`), never `destroy`
// straight away: a socket destroyed with bytes still queued, or unread, may lose packet N or
// turn the close into a reset. Whatever either side sends after the cut is read and dropped.
import net from "node:net";
import { performance } from "node:perf_hooks";

/** MQTT control packet types by number (MQTT 5 §2.1.2). */
export const PACKET_NAMES = ["RESERVED", "CONNECT", "CONNACK", "PUBLISH", "PUBACK", "PUBREC", "PUBREL", "PUBCOMP",
  "SUBSCRIBE", "SUBACK", "UNSUBSCRIBE", "UNSUBACK", "PINGREQ", "PINGRESP", "DISCONNECT", "AUTH"];
/** Remaining Length takes 1 to 4 bytes. */
const REMAINING_LENGTH_BYTES_MAX = 4;
/** A side that does not close after our FIN is destroyed this long after the cut. */
const CLOSE_GRACE_MS = 1000;

const nowMs = () => performance.now();

/** Splits one direction's byte stream into whole MQTT packets. */
export class PacketSplitter {
  constructor() {
    this.pending = Buffer.alloc(0);
  }

  /** Appends `chunk`; returns the packets it completed, each a Buffer. Throws on a malformed Remaining Length. */
  push(chunk) {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const packets = [];
    for (;;) {
      const length = packetLength(this.pending);
      if (length === 0 || length > this.pending.length) break;
      packets.push(this.pending.subarray(0, length));
      this.pending = this.pending.subarray(length);
    }
    return packets;
  }
}

/** Packet types whose 5.0 form may carry a Reason Code right after the packet identifier. */
const ACKS_WITH_REASON = new Set([4, 5, 6, 7]);
const DISCONNECT_TYPE = 14;

/**
 * The Reason Code of a whole PUBACK, PUBREC, PUBREL, PUBCOMP or DISCONNECT, or 0 when it has
 * none (3.1.1 forms, and 5.0's short forms, which mean 0x00: MQTT 5 §3.4.2.1, §3.14.2.1).
 */
export function packetReason(packet) {
  const type = packet[0] >> 4;
  let header = 2;
  while (packet[header - 1] & 0x80) header++;
  const remaining = packet.length - header;
  if (ACKS_WITH_REASON.has(type) && remaining > 2) return packet[header + 2];
  if (type === DISCONNECT_TYPE && remaining > 0) return packet[header];
  return 0;
}

/** The whole packet's length at the start of `source`, or 0 when its fixed header is not complete. */
export function packetLength(source) {
  let remaining = 0;
  for (let i = 1; i <= REMAINING_LENGTH_BYTES_MAX; i++) {
    if (source.length <= i) return 0;
    const byte = source[i];
    remaining += (byte & 0x7f) * 2 ** (7 * (i - 1));
    if ((byte & 0x80) === 0) return 1 + i + remaining;
  }
  throw new Error("cut_proxy: Remaining Length longer than 4 bytes");
}

/**
 * The proxy. `faults`, taken one per accepted connection, in order:
 * - { action: "cut", direction: "c2s" | "s2c", after: N }: once N packets have gone in
 *   `direction` (0: at once), close both sides; nothing more is forwarded either way.
 * - { action: "stall", direction, after: N, stall: ["s2c"] }: once N packets have gone in
 *   `direction`, forward nothing more in the `stall` directions (default: `direction`), and keep
 *   the client's side open even when the broker closes — a half-dead link only the client's
 *   keepalive can notice.
 * - { action: "drop", direction, type: "PINGRESP" }: swallow every packet of `type` in `direction`.
 * - null: a clean link.
 */
export class CutProxy {
  /** Starts listening on 127.0.0.1 and a free port; `target` is the broker's { host, port }. */
  static async start({ target, faults = [] }) {
    const proxy = new CutProxy(target, faults);
    await new Promise((resolve, reject) => {
      proxy.server.once("error", reject);
      proxy.server.listen(0, "127.0.0.1", resolve);
    });
    proxy.port = proxy.server.address().port;
    return proxy;
  }

  constructor(target, faults) {
    this.target = { host: "127.0.0.1", ...target };
    this.faults = [...faults];
    /**
     * One record per accepted connection: { index, fault, c2s, s2c, dropped, reasons, fired,
     * firedAt, closed }. `c2s` and `s2c` name the packets forwarded; `reasons` holds
     * "<direction> <index>" → a non-zero Reason Code among them.
     */
    this.connections = [];
    this.sockets = new Set();
    this.lastActivityMs = nowMs();
    this.server = net.createServer((client) => this.accept(client));
  }

  /** Queues a fault for a later connection. */
  schedule(fault) {
    this.faults.push(fault);
  }

  /** Milliseconds since a packet last passed (or was dropped). */
  quietMs() {
    return nowMs() - this.lastActivityMs;
  }

  /** Every scheduled fault has been taken by a connection and has fired. */
  faultsFired() {
    return this.faults.length === 0 && this.connections.every((c) => !c.fault || c.fired || c.fault.action === "drop");
  }

  /** One line per connection: the packets forwarded each way, ✂ where the fault fired, [dropped]. */
  describe() {
    return this.connections.map((c) => {
      const side = (direction) => {
        const names = c[direction].map((type, i) => {
          const reason = c.reasons.get(`${direction} ${i}`);
          return reason === undefined ? type : `${type}(0x${reason.toString(16)})`;
        });
        if (c.fired && c.fault.direction === direction) names.splice(c.fault.after, 0, "✂");
        const dropped = c.dropped.filter((d) => d.direction === direction).map((d) => d.type);
        return `${names.join(" ")}${dropped.length ? ` [dropped ${dropped.join(" ")}]` : ""}`;
      };
      const where = c.fault?.action === "drop" ? c.fault.type : `after ${c.fault?.after}`;
      const fault = c.fault ? ` (${c.fault.action} ${c.fault.direction} ${where})` : "";
      return `#${c.index}${fault}: c2s ${side("c2s")} | s2c ${side("s2c")}`;
    }).join("\n");
  }

  accept(client) {
    const upstream = net.connect({ host: this.target.host, port: this.target.port, noDelay: true });
    client.setNoDelay(true);
    const record = {
      index: this.connections.length + 1, fault: this.faults.shift() ?? null, c2s: [], s2c: [], dropped: [], reasons: new Map(),
      fired: false, firedAt: 0, closed: false,
    };
    this.connections.push(record);
    const link = { record, client, upstream, cut: false, stalled: new Set() };
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.on("error", () => {}); // a cut or a peer's reset: the close that follows says enough
      socket.on("close", () => this.sockets.delete(socket));
    }
    this.pipe(link, client, upstream, "c2s");
    this.pipe(link, upstream, client, "s2c");
    client.on("close", () => {
      record.closed = true;
      this.closeSide(upstream);
    });
    upstream.on("close", () => {
      if (link.stalled.size === 0) this.closeSide(client); // a stalled link hides the broker's close
    });
    if (record.fault?.after === 0) this.fire(link);
  }

  pipe(link, from, to, direction) {
    const splitter = new PacketSplitter();
    const { record } = link;
    from.on("data", (chunk) => {
      let packets;
      try {
        packets = splitter.push(chunk);
      } catch (error) {
        record.dropped.push({ direction, type: error.message });
        this.cut(link);
        return;
      }
      for (const packet of packets) {
        const type = PACKET_NAMES[packet[0] >> 4];
        this.lastActivityMs = nowMs();
        const fault = record.fault;
        if (link.cut || link.stalled.has(direction) || (fault?.action === "drop" && fault.direction === direction && fault.type === type)) {
          record.dropped.push({ direction, type });
          continue;
        }
        to.write(packet);
        const reason = packetReason(packet);
        if (reason !== 0) record.reasons.set(`${direction} ${record[direction].length}`, reason);
        record[direction].push(type);
        if (fault && fault.action !== "drop" && !record.fired && fault.direction === direction && record[direction].length === fault.after) {
          this.fire(link);
        }
      }
    });
  }

  fire(link) {
    const { record } = link;
    record.fired = true;
    record.firedAt = nowMs();
    if (record.fault.action === "cut") {
      this.cut(link);
    } else {
      for (const direction of record.fault.stall ?? [record.fault.direction]) link.stalled.add(direction);
    }
  }

  cut(link) {
    link.cut = true;
    this.closeSide(link.client);
    this.closeSide(link.upstream);
  }

  /** FIN after what is queued, then a forced close if the peer lingers. */
  closeSide(socket) {
    if (socket.destroyed) return;
    socket.end();
    setTimeout(() => socket.destroy(), CLOSE_GRACE_MS).unref();
  }

  /** Stops listening and closes every socket. */
  async close() {
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }
}
