// Function references, strings, arrays and build-target checks.
import { average } from "./numbers";

type Reducer = (acc: i32, value: i32) => i32;

function add(acc: i32, value: i32): i32 { return acc + value; }

function fold(values: Array<i32>, f: Reducer, initial: i32): i32 {
  let acc = initial;
  for (let i = 0; i < values.length; i++) acc = f(acc, values[i]);
  return acc;
}

export function total(): i32 {
  const values: Array<i32> = [1, 2, 3];
  values.push(4);
  return fold(values, add, 0) + average(10, 3);
}

export function describe(code: i32, name: string): string {
  return `code ${code} for ${name}`;
}

export function firstCode(s: string): i32 {
  return s.length > 0 ? s.charCodeAt(0) : -1;
}

export function letter(code: i32): string {
  return String.fromCharCode(code);
}

export function target(): i32 {
  if (ASC_TARGET != 0) {
    return 1;
  }
  return 0;
}

export function slots(count: i32): Array<i32> {
  const out = new Array<i32>(0);
  for (let i = 0; i < count; i++) out.push(0);
  return out;
}
