// tinybpf's public API.
export { load, loadSync, LoadedObject, Program, type LoadOptions, type ProgramInput } from "./api/object.js";
export { BpfMap, MapError, MAP_TYPE_NAMES, type Codec } from "./api/bpf-map.js";
export {
  Runtime,
  type RuntimeOptions,
  type RunInput,
  type RunResult,
  type LinkedProgram,
  type MapSpec,
} from "./runtime/runtime.js";
export { BpfFault, describeFault, type FaultInfo } from "./runtime/faults.js";
export { VerifierError, verify } from "./loader/verifier.js";
export { StopProgram, type HostHelper } from "./runtime/core.js";
export { engineNames, bestEngine, registerEngine, type Engine, type EngineName } from "./runtime/engines.js";
export { loadObject, type BpfObject, type ProgramDef, type MapDef } from "./loader/loader.js";
export { ElfError } from "./loader/elf.js";
export { assemble, AsmError } from "./tools/asm.js";
export { disassemble } from "./tools/disasm.js";
export { formatLog2Hist, formatLinearHist } from "./api/hist.js";
export { printLog2Hist, printLinearHist } from "./api/print-hist.js";
export { readCapture, CaptureError, type Packet } from "./tools/pcap.js";
