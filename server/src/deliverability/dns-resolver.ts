import { Resolver } from "node:dns/promises";
import { type DnsMode, type DnsRecord, MAX_CNAME_CHAIN } from "@mailnest/protocol";
import { txtStrings } from "./dns-record.js";
import type { DnsZone } from "./dns-zone.js";

/** An MX answer as node:dns gives it. */
export interface MxAnswer {
  exchange: string;
  priority: number;
}

/** Answers in node:dns's shapes: TXT `string[][]`, A/AAAA/CNAME/PTR `string[]`, MX `MxAnswer[]`. */
export type DnsAnswers = string[][] | string[] | MxAnswer[];

export interface DnsAnswer {
  answers: DnsAnswers;
  source: "zone" | "system";
}

/**
 * The real DNS, as `system` mode asks it: shaped like `dns.promises.Resolver#resolve`, so that
 * tests can pass a stand-in and nothing they run reaches the network.
 */
export interface SystemDns {
  resolve(name: string, type: string): Promise<unknown>;
}

/** Why a lookup has no answer; `code` is the one node:dns uses, which is what mailauth reads. */
export class DnsLookupError extends Error {
  override name = "DnsLookupError" as const;
  readonly code: "ENOTFOUND" | "ENODATA" | "ETIMEOUT" | "ESERVFAIL" | (string & {});
  readonly hostname: string;
  /** Who gave this answer. */
  readonly source: "zone" | "system";

  constructor(code: string, hostname: string, detail?: string, source: "zone" | "system" = "zone") {
    super(`${code} ${hostname}${detail ? `: ${detail}` : ""}`);
    this.code = code;
    this.hostname = hostname;
    this.source = source;
  }

  /**
   * The same error without a stack trace, for the answers the zone gives most (no such name, no
   * such record: a sandbox domain without SPF or DMARC). mailauth reads only `code`, and capturing a
   * stack for every miss was about a tenth of the verification thread's time.
   */
  static noAnswer(code: "ENOTFOUND" | "ENODATA", hostname: string): DnsLookupError {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      return new DnsLookupError(code, hostname);
    } finally {
      Error.stackTraceLimit = limit;
    }
  }
}

/** Every lookup a verification makes goes through one of these. */
export interface DnsResolver {
  readonly mode: DnsMode;
  readonly zone: DnsZone;
  /**
   * One lookup, CNAMEs followed. Rejects with a `DnsLookupError`: ENOTFOUND (NXDOMAIN), ENODATA
   * (the name exists without records of that type), ETIMEOUT (`deadline` passed, system DNS only),
   * ESERVFAIL (a CNAME chain longer than `MAX_CNAME_CHAIN`), or what the system resolver said.
   * @param deadline a `performance.now()` time after which a system lookup is given up
   */
  lookup(name: string, type: string, deadline: number): Promise<DnsAnswer>;
}

export interface DnsResolverOptions {
  zone: DnsZone;
  /** @default "zone" */
  mode?: DnsMode;
  /** The real DNS for `system` and `zone-then-system`; the default asks the system's resolvers. */
  system?: SystemDns;
  /**
   * How long one system lookup may take before it is abandoned; the per-message deadline bounds
   * the total.
   * @default 1500
   */
  systemTimeoutMs?: number;
}

export const DEFAULT_SYSTEM_DNS_TIMEOUT_MS = 1500;

export function createDnsResolver(options: DnsResolverOptions): DnsResolver {
  const { zone } = options;
  const mode = options.mode ?? "zone";
  const timeoutMs = options.systemTimeoutMs ?? DEFAULT_SYSTEM_DNS_TIMEOUT_MS;
  // One try: a retry would only spend the same short budget twice.
  const system: SystemDns | null =
    mode === "zone" ? null : (options.system ?? new Resolver({ timeout: timeoutMs, tries: 1 }));

  async function askSystem(name: string, type: string, deadline: number): Promise<DnsAnswer> {
    if (system === null) throw new DnsLookupError("ENOTFOUND", name);
    const left = deadline - performance.now();
    if (left <= 0)
      throw new DnsLookupError("ETIMEOUT", name, "the time for DNS lookups was used up", "system");
    let timer: NodeJS.Timeout | undefined;
    const expiry = new Promise<never>((_, reject) => {
      const timeout = new DnsLookupError(
        "ETIMEOUT",
        name,
        `no answer within ${Math.round(left)} ms`,
        "system",
      );
      // Without a deadline (an infinite one) only the resolver's own timeout applies.
      if (Number.isFinite(left)) timer = setTimeout(() => reject(timeout), left);
    });
    try {
      const answers = await Promise.race([system.resolve(name, type), expiry]);
      return { answers: answers as DnsAnswers, source: "system" };
    } catch (error) {
      if (error instanceof DnsLookupError) throw error;
      const code = (error as { code?: unknown }).code;
      throw new DnsLookupError(
        typeof code === "string" ? code : "ESERVFAIL",
        name,
        (error as Error).message,
        "system",
      );
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    mode,
    zone,
    async lookup(rawName, rawType, deadline) {
      const type = rawType.toUpperCase();
      let name = rawName.toLowerCase().replace(/\.$/, "");
      if (mode === "system") return askSystem(name, type, deadline);
      for (let hops = 0; hops <= MAX_CNAME_CHAIN; hops += 1) {
        const records = zone.recordsOf(name);
        const alias = records.find((record) => record.type === "CNAME");
        if (alias && type !== "CNAME") {
          name = alias.value;
          continue;
        }
        const matching = records.filter((record) => record.type === type);
        if (matching.length > 0) return { answers: answersOf(type, matching), source: "zone" };
        if (zone.has(name)) throw DnsLookupError.noAnswer("ENODATA", name);
        // Not a name of the zone: NXDOMAIN, unless the system may be asked.
        if (mode === "zone-then-system") return askSystem(name, type, deadline);
        throw DnsLookupError.noAnswer("ENOTFOUND", name);
      }
      throw new DnsLookupError("ESERVFAIL", rawName, `CNAME chain longer than ${MAX_CNAME_CHAIN}`);
    },
  };
}

function answersOf(type: string, records: readonly DnsRecord[]): DnsAnswers {
  if (type === "TXT") return records.map((record) => txtStrings(record.value));
  if (type === "MX") {
    return records.map((record) => {
      const [priority, exchange] = record.value.split(" ");
      return { priority: Number(priority), exchange: exchange === "." ? "" : (exchange ?? "") };
    });
  }
  return records.map((record) => record.value);
}
