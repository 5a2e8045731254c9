// tinybpf's public API.
export { load, loadSync, LoadedObject, Program, type LoadOptions, type ProgramInput } from "./object.js";
export { BpfMap, MapError, MAP_TYPE_NAMES, type Codec } from "./bpf-map.js";
export { Runtime, type RuntimeOptions, type RunInput, type RunResult, type LinkedProgram, type MapSpec } from "./runtime.js";
export { BpfFault, describeFault, type FaultInfo } from "./faults.js";
export { VerifierError, verify } from "./verifier.js";
export { StopProgram, type HostHelper } from "./core.js";
export { engineNames, bestEngine, registerEngine, type Engine, type EngineName } from "./engines.js";
export { loadObject, type BpfObject, type ProgramDef, type MapDef } from "./loader.js";
export { ElfError } from "./elf.js";
export { assemble, AsmError } from "./asm.js";
export { disassemble } from "./disasm.js";
export { formatLog2Hist, formatLinearHist } from "./hist.js";
export { printLog2Hist, printLinearHist } from "./print-hist.js";
export { readCapture, CaptureError, type Packet } from "./pcap.js";
