/**
 * Acknowledgements waiting for `output`: PUBACK, PUBREC, PUBREL, PUBCOMP, each (type, packet
 * id, reason). A ring of ACK_QUEUE_MAX; every received packet queues at most one, and the client
 * pauses input while the ring is full, so nothing is ever pushed onto a full ring.
 */
export const ACK_QUEUE_MAX: i32 = 32;

export class AckQueue {
  private readonly types: Uint8Array = new Uint8Array(ACK_QUEUE_MAX);
  private readonly ids: Int32Array = new Int32Array(ACK_QUEUE_MAX);
  private readonly reasons: Uint8Array = new Uint8Array(ACK_QUEUE_MAX);
  private head: i32 = 0;
  count: i32 = 0;

  get full(): bool {
    return this.count == ACK_QUEUE_MAX;
  }

  push(type: i32, packetId: i32, reason: i32): void {
    assert(this.count < ACK_QUEUE_MAX, "AckQueue: full");
    let index = this.head + this.count;
    if (index >= ACK_QUEUE_MAX) index -= ACK_QUEUE_MAX;
    this.types[index] = type;
    this.ids[index] = packetId;
    this.reasons[index] = reason;
    this.count++;
  }

  /** Type, packet id and reason of the oldest; `pop` once it is written. */
  type(): i32 {
    const type: i32 = this.types[this.head];
    return type;
  }

  packetId(): i32 {
    return this.ids[this.head];
  }

  reason(): i32 {
    const reason: i32 = this.reasons[this.head];
    return reason;
  }

  pop(): void {
    this.head = this.head + 1 == ACK_QUEUE_MAX ? 0 : this.head + 1;
    this.count--;
  }

  clear(): void {
    this.head = 0;
    this.count = 0;
  }
}
