import { parseArgs } from "node:util";

export const SECTIONS = [
  "greeting",
  "ingest",
  "ceiling",
  "wait",
  "scale",
  "restart",
  "memory",
  "waiters",
  "retrieval",
  "auth",
  "webhooks",
  "postgres",
] as const;
export type Section = (typeof SECTIONS)[number];

export interface BenchOptions {
  sections: readonly Section[];
  /** Smaller counts everywhere: a smoke run in about a minute, figures not comparable with the targets. */
  quick: boolean;
  /** Run the server under `node --cpu-prof`, writing .cpuprofile files here. */
  cpuProfDir: string | null;
  keepData: boolean;
  /** Run MailDev beside Mailnest in the ingest section (installed on first use; needs npm's registry). */
  maildev: boolean;
  /** Where the JSON goes; null = bench/results/<timestamp>.json. */
  outFile: string | null;
}

export class UsageError extends Error {
  override name = "UsageError" as const;
}

export const USAGE = `Usage: pnpm bench [-- options]

  --only <sections>   comma-separated subset of: ${SECTIONS.join(", ")}
  --quick             small counts (a smoke run; figures are not comparable with the targets)
  --cpu-prof <dir>    run the server under node --cpu-prof and write profiles to <dir>
  --keep-data         keep the servers' temp data dirs
  --no-maildev        do not run MailDev beside Mailnest in the ingest section (it is installed with
                      npm ci into bench/.peers on first use)
  --out <file>        write the JSON here instead of bench/results/<timestamp>.json
  --help              this text`;

export function parseOptions(argv: readonly string[]): BenchOptions | "help" {
  const { values } = parseArgs({
    // pnpm passes the "--" separator through to the script; it carries no meaning here.
    args: argv.filter((arg) => arg !== "--"),
    options: {
      only: { type: "string" },
      quick: { type: "boolean", default: false },
      "cpu-prof": { type: "string" },
      "keep-data": { type: "boolean", default: false },
      "no-maildev": { type: "boolean", default: false },
      out: { type: "string" },
      help: { type: "boolean", default: false },
    },
    strict: true,
  });
  if (values.help) return "help";
  let sections: Section[] = [...SECTIONS];
  if (values.only !== undefined) {
    const wanted = values.only
      .split(",")
      .map((name) => name.trim())
      .filter(Boolean);
    const unknown = wanted.filter((name) => !(SECTIONS as readonly string[]).includes(name));
    if (wanted.length === 0 || unknown.length > 0) {
      throw new UsageError(`--only takes some of ${SECTIONS.join(", ")}; got "${values.only}"`);
    }
    sections = SECTIONS.filter((name) => wanted.includes(name));
  }
  return {
    sections,
    quick: values.quick ?? false,
    cpuProfDir: values["cpu-prof"] ?? null,
    keepData: values["keep-data"] ?? false,
    maildev: !(values["no-maildev"] ?? false),
    outFile: values.out ?? null,
  };
}
