// Optional engines register themselves when their module is imported. The interpreter is always there; the
// Wasm and ARM32 engines are imported on demand so that an interpreter-only install still works.
const OPTIONAL_ENGINES = ["../engines/wasm.js", "../engines/arm32/engine.js"];
let loaded: Promise<void> | undefined;

export function loadEngines(): Promise<void> {
  loaded ??= (async () => {
    for (const spec of OPTIONAL_ENGINES) {
      try {
        await import(spec);
      } catch (e) {
        const code = (e as { code?: string }).code;
        if (code !== "ERR_MODULE_NOT_FOUND") throw e;
      }
    }
  })();
  return loaded;
}
