// expect: tsc Cannot find name 'console'
export function trace(n: i32): void {
  console.log(n);
}
