// `tinybpf serve`: runs the daemon (src/serve) until SIGINT or SIGTERM. Loaded only when it runs, on a workstation
// or from a device bundle made with `bundle --serve`.
import type { Command } from "./args.js";
import { startServer } from "../serve/server.js";
import { defaultDataDir } from "../serve/client.js";

export const serve: Command = async (args, out) => {
  const dataDir = args.options.get("data") ?? defaultDataDir();
  const s = await startServer({
    listen: args.options.get("listen"),
    dataDir,
    log: (line) => process.stderr.write(`tinybpf serve: ${line}\n`),
  });
  out(`tinybpf serve: listening on ${s.url}, data in ${dataDir}`);
  out(`tinybpf serve: token ${s.tokenCreated ? "written to" : "in"} ${s.tokenPath}`);
  out(`tinybpf serve: ${s.daemon.modules.size} modules, ${s.daemon.links.size} links restored`);
  await new Promise<void>((resolve) => {
    const stop = () => void s.close().then(resolve);
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  return 0;
};
