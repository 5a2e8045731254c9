#!/usr/bin/env node
// Plugin for the eBPF conformance suite's runner: tinybpf-conformance-plugin [MEMORY_HEX] [--engine NAME] [--elf]
import { pluginMain } from "../dist/src/tools/conformance-plugin.js";

process.exitCode = await pluginMain(process.argv.slice(2));
