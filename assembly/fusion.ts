// Whether the interpreter fuses pairs of instructions into one record (decode.ts, interp.ts): `mov rA, x` and an
// ALU operation on rA after it, an add on rA and a conditional jump on rA after it, a mov and any conditional jump
// after it, and the others decode.ts lists. The interpreter-only core for the smallest devices
// (scripts/build-tiny.mjs) is compiled with this false: its 16 KiB budget comes first there, and without fused
// records the decoder's fusing, the fused cases' bodies and the loop's budget slow path are left out of the
// module, and so are the interpreter's copies of the regions read last (interp.ts: readable).
export const FUSE_PAIRS: bool = true;
