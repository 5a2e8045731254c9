// Test build of the map and helper code: everything the tests drive, plus small accessors for the core's state.
export * from "../../assembly/maps/index";
export * from "../../assembly/helpers";
export { accessAllowed, regionAdd } from "../../assembly/memory";
import { alloc } from "../../assembly/memory";
import { REGS } from "../../assembly/layout";

export function setReg(n: u32, value: u64): void {
  store<u64>(REGS + 8 * n, value);
}

export function getReg(n: u32): u64 {
  return load<u64>(REGS + 8 * n);
}

/** Heap memory, 8-byte aligned (alloc's optional argument is awkward to pass from JavaScript). */
export function allocBytes(size: u32): u32 {
  return alloc(size, 8);
}
