// A program the Wasm engine cannot take: one function of 400,000 instructions translates to about 9 MB of Wasm,
// more than V8 compiles in one function (7.6 MB), so it runs on the interpreter. Its result is computed here.
export const OVERSIZED_COUNT = 400_000;

/** add r0, pc / jeq r0, pc, +0 (a block boundary) in turn, then exit. */
export function oversizedProgram(): Uint8Array {
  const n = OVERSIZED_COUNT;
  const code = new Uint8Array(n * 8);
  const v = new DataView(code.buffer);
  for (let pc = 0; pc < n - 1; pc++) {
    code[pc * 8] = pc % 3 === 2 ? 0x15 : 0x07;
    v.setInt32(pc * 8 + 4, pc, true);
  }
  code[(n - 1) * 8] = 0x95;
  return code;
}

/** r0 after the program: the sum of the adds' immediates (every pc not 2 mod 3). */
export function oversizedResult(): bigint {
  let r0 = 0n;
  for (let pc = 0; pc < OVERSIZED_COUNT - 1; pc++) if (pc % 3 !== 2) r0 += BigInt(pc);
  return r0;
}
