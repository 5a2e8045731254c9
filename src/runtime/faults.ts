// Fault reports: one wording for every engine, so that a fault reads the same whichever engine ran the program.
// Addresses are named after the region they were nearest to (fault-location.ts), not by where an engine keeps it.
import {
  FAULT_READ,
  FAULT_WRITE,
  FAULT_BUDGET,
  FAULT_CALL_DEPTH,
  FAULT_HELPER,
  FAULT_BAD_INSN,
  FAULT_BAD_MAP,
  FAULT_HOST,
  FAULT_BAD_RECORD,
} from "../../assembly/layout.js";
import { MAX_CALL_DEPTH } from "../../assembly/isa.js";

export interface FaultInfo {
  kind: number;
  pc: number; // instruction index
  addr: bigint; // address, budget, helper id or depth, by kind
  size: number;
  readOnly?: boolean; // a write to memory that is readable but not writable
  detail?: string; // a host helper's own message
  where?: string; // the address as fault-location.ts names it (memory faults, ring buffer samples), if near a region
}

export function describeFault(f: FaultInfo): string {
  const hex = "0x" + f.addr.toString(16);
  const at = f.where ?? hex;
  let what: string;
  switch (f.kind) {
    case FAULT_READ:
      what = `out-of-bounds read of ${f.size} bytes at ${at}`;
      break;
    case FAULT_WRITE:
      what = f.readOnly
        ? `write of ${f.size} bytes to read-only memory at ${at}`
        : `out-of-bounds write of ${f.size} bytes at ${at}`;
      break;
    case FAULT_BUDGET:
      what = `instruction budget of ${f.addr} exhausted`;
      break;
    case FAULT_CALL_DEPTH:
      what = `call depth exceeds ${MAX_CALL_DEPTH} frames`;
      break;
    case FAULT_HELPER:
      what = `unknown helper ${f.addr}`;
      break;
    case FAULT_BAD_INSN:
      what = `invalid instruction (opcode ${hex})`;
      break;
    case FAULT_BAD_MAP:
      what = `helper argument ${hex} is not a map of the right kind`;
      break;
    case FAULT_BAD_RECORD:
      what = `helper argument ${at} is not a reserved ring buffer sample`;
      break;
    case FAULT_HOST:
      what = `helper ${f.addr} failed: ${f.detail ?? "error"}`;
      break;
    default:
      what = `fault ${f.kind}`;
  }
  return `${what} (instruction ${f.pc})`;
}

/** A program stopped by a fault. `message` names the program, what went wrong and the instruction index. */
export class BpfFault extends Error {
  constructor(
    readonly info: FaultInfo,
    readonly program: string,
  ) {
    super(`${program}: ${describeFault(info)}`);
    this.name = "BpfFault";
  }
}
