// The compiler's entry point: script text to an ELF object plus what the host needs to print its results.
import { parse } from "./parser.js";
import { check, type TypedScript } from "./check.js";
import {
  generate,
  keySize,
  valueSize,
  mapSymbol,
  RINGBUF_SYMBOL,
  CLOCK_SYMBOL,
  type GenerateOptions,
  type ProgramCode,
} from "./codegen.js";
import { writeObject } from "./elf-writer.js";

const MAP_TYPE_HASH = 1;
const MAP_TYPE_RINGBUF = 27;
export const MAP_ENTRIES = 4096;
export const RINGBUF_BYTES = 16 * 1024; // drained after every probe run
export const CLOCK_BYTES = 16; // nsecs now, nsecs at start

export interface Compiled {
  object: Uint8Array;
  typed: TypedScript;
  programs: ProgramCode[];
}

export function compile(source: string): Compiled {
  return compileTyped(check(parse(source)));
}

/** The object of a checked script (src/trace/arm32.ts compiles a script's packet probe alone this way). */
export function compileTyped(typed: TypedScript, options: GenerateOptions = {}): Compiled {
  const programs = generate(typed, options);
  const maps = [...typed.maps.values()]
    .sort((a, b) => a.index - b.index)
    .map((m) => ({
      symbol: mapSymbol(m.name),
      fields: [
        ["type", MAP_TYPE_HASH],
        ["max_entries", MAP_ENTRIES],
        ["key_size", keySize(m)],
        ["value_size", valueSize(m)],
      ] as [string, number][],
    }));
  // the ring buffer only when a probe writes to it (printf and host actions): it is the largest map
  if (programs.some((p) => p.relocations.some((r) => r.symbol === RINGBUF_SYMBOL))) {
    maps.push({
      symbol: RINGBUF_SYMBOL,
      fields: [
        ["type", MAP_TYPE_RINGBUF],
        ["max_entries", RINGBUF_BYTES],
      ],
    });
  }
  const object = writeObject({ programs, maps, bss: { symbol: CLOCK_SYMBOL, size: CLOCK_BYTES } });
  return { object, typed, programs };
}
