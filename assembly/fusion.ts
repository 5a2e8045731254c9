// Whether the interpreter fuses `mov rA, x` and an ALU operation on rA after it into one record (decode.ts,
// interp.ts). The interpreter-only core for the smallest devices (scripts/build-tiny.mjs) is compiled with this
// false: its 16 KiB budget comes first there, and without fused records the decoder's fusing and the loop's
// budget slow path are left out of the module.
export const FUSE_MOV_PAIRS: bool = true;
