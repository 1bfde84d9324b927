// Classes, enums and assertions that compile the same with asc and esbuild.
export const enum Kind { Connect = 1, Publish = 3 }
export enum Level { V31 = 3, V311 = 4, V5 = 5 }

export class Counter {
  static created: i32 = 0;
  private count: i32 = 0;
  constructor(public readonly limit: i32) { Counter.created++; }
  get value(): i32 { return this.count; }
  set value(v: i32) { this.count = v < this.limit ? v : this.limit; }
  increment(): bool {
    if (this.count >= this.limit) return false;
    this.count += 1;
    return true;
  }
  static make(limit: i32): Counter { return new Counter(limit); }
}

export class Packet { kind: Kind = Kind.Connect; }
export class Publish extends Packet {
  topic: string = "";
  constructor() { super(); this.kind = Kind.Publish; }
}

export function asPublish(p: Packet): Publish | null {
  if (p.kind != Kind.Publish) return null;
  const typed = <Publish>p;
  const same = p as Publish;
  return same == typed ? typed : null;
}

export function levelName(level: Level): string {
  switch (level) {
    case Level.V31: return "3.1";
    case Level.V311: return "3.1.1";
    default: return "5.0";
  }
}

export function kindOf(p: Packet | null): i32 {
  let kind: Kind = Kind.Connect;
  if (p != null) kind = p!.kind;
  return kind;
}
