#!/usr/bin/env node
// Plugin for the eBPF conformance suite's runner: tinybpf-conformance-plugin [MEMORY_HEX] [--engine NAME] [--program HEX] [--elf]
// (the runner's --elf true passes --elf: the program is an ELF object, `main` in .text or in section "xdp")
import { pluginMain } from "../dist/src/tools/conformance-plugin.js";

process.exitCode = await pluginMain(process.argv.slice(2));
