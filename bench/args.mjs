// The bench scripts' command lines. Each script declares its flags (the option each sets and what kind of value it
// takes) and gets them parsed one way: a missing value, a value of the wrong kind, an unknown flag or an unknown
// kernel name ends the script with one line naming it, the usage, and exit status 2, never a stack trace or a
// silently replaced value.

/** Prints `bench/SCRIPT: message` and exits with 2 (bad arguments, results that differ). */
export function benchFail(script, message) {
  console.error(`bench/${script}: ${message}`);
  process.exit(2);
}

/**
 * Parses `argv` (without node and the script). `flags` maps each flag to [option, kind], kind one of
 *   "list"      a comma-separated list (`--kernels a,b`),
 *   "count"     a whole number of at least 1, optionally at most `max` ([option, "count", max]),
 *   "positive"  a number above 0,
 *   "text"      any one value,
 *   true/false  no value: the flag sets the option to it (`--no-arm` -> arm: false).
 * `positional`, when the script takes one argument without a flag (then required): [option, what it is]. `kernels`, when given, are the names `--kernels` may list.
 */
export function parseBenchArgs(script, argv, { usage, defaults, flags, positional, kernels }) {
  const fail = (message) => benchFail(script, `${message}\n${usage}`);
  const opts = { ...defaults };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const flag = flags[a];
    if (!flag) {
      if (a.startsWith("-") || !positional || opts[positional[0]] !== undefined) fail(`unknown argument '${a}'`);
      opts[positional[0]] = a;
      continue;
    }
    const [name, kind, max] = flag;
    if (typeof kind === "boolean") {
      opts[name] = kind;
      continue;
    }
    if (i + 1 >= argv.length) fail(`${a} needs a value`);
    const text = argv[++i];
    opts[name] = valueOf(a, kind, max, text, fail);
  }
  if (positional && opts[positional[0]] === undefined) fail(`no ${positional[1]} given`);
  for (const k of (kernels && opts.kernels) || [])
    if (!kernels.includes(k)) fail(`no kernel named '${k}' (kernels: ${kernels.join(", ")})`);
  return opts;
}

function valueOf(flag, kind, max, text, fail) {
  if (kind === "text") return text;
  if (kind === "list") {
    const items = text.split(",").filter((s) => s !== "");
    if (items.length === 0) fail(`${flag} needs at least one name`);
    return items;
  }
  const n = Number(text);
  if (kind === "positive") {
    if (!(n > 0)) fail(`${flag} needs a number above 0, not '${text}'`);
    return n;
  }
  if (!Number.isInteger(n) || n < 1 || (max !== undefined && n > max))
    fail(`${flag} needs a whole number from 1${max === undefined ? " up" : ` to ${max}`}, not '${text}'`);
  return n;
}
