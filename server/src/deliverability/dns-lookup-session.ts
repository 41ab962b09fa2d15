import { type DnsLookup, MAX_RECORDED_DNS_LOOKUPS } from "@mailnest/protocol";
import { type DkimKeyInspection, inspectDkimKeyRecord } from "./dkim-keys.js";
import { type DnsAnswers, DnsLookupError, type DnsResolver, type MxAnswer } from "./dns-resolver.js";

/**
 * The lookups of one message's verification: a resolver function in the shape mailauth takes
 * (`(name, type) => Promise<answers>`, rejecting with node:dns's error codes), a record of every
 * lookup for the verdict, and one deadline for all of them.
 *
 * DKIM key records pass a check here before mailauth sees them (`inspectDkimKeyRecord`): a key
 * over Mailnest's bounds is answered with the error code `EKEYREJECTED`, which mailauth reports
 * as a DNS failure and the DKIM verdict turns back into the reason recorded here.
 */
export class DnsLookupSession {
  readonly lookups: DnsLookup[] = [];
  readonly #resolver: DnsResolver;
  readonly #deadline: number;
  readonly #keys = new Map<string, DkimKeyInspection>();

  constructor(resolver: DnsResolver, deadline: number) {
    this.#resolver = resolver;
    this.#deadline = deadline;
  }

  /** The resolver function handed to mailauth. */
  readonly resolve = async (rawName: string, type: string): Promise<DnsAnswers> => {
    const name = rawName.toLowerCase().replace(/\.$/, "");
    try {
      const { answers, source } = await this.#resolver.lookup(name, type, this.#deadline);
      const texts = (answers as unknown[]).map(answerText);
      const problem = type.toUpperCase() === "TXT" ? this.#checkKey(name, texts[0]) : null;
      this.#record({ name, type: type.toUpperCase(), answers: texts, error: problem, source });
      if (problem !== null) throw new DnsLookupError("EKEYREJECTED", name, problem);
      return answers;
    } catch (error) {
      if (error instanceof DnsLookupError && error.code === "EKEYREJECTED") throw error;
      const failure =
        error instanceof DnsLookupError
          ? error
          : new DnsLookupError("ESERVFAIL", name, (error as Error).message);
      this.#record({
        name,
        type: type.toUpperCase(),
        answers: [],
        error: describeError(failure),
        source: failure.source,
      });
      throw failure;
    }
  };

  /** What the key record at `name` held, when one was looked up. */
  keyAt(name: string): DkimKeyInspection | undefined {
    return this.#keys.get(name.toLowerCase());
  }

  /** Inspects a DKIM key record (the first TXT answer at a `_domainkey` name, as verifiers read it). */
  #checkKey(name: string, text: string | undefined): string | null {
    if (text === undefined || !name.includes("._domainkey.")) return null;
    const inspection = inspectDkimKeyRecord(text);
    this.#keys.set(name, inspection);
    // Revoked and unreadable keys are mailauth's to report; only keys too costly to verify stop here.
    return !inspection.ok && inspection.kind === "over-limit" ? inspection.problem : null;
  }

  #record(lookup: DnsLookup): void {
    if (this.lookups.length < MAX_RECORDED_DNS_LOOKUPS) this.lookups.push(lookup);
  }
}

function answerText(answer: unknown): string {
  if (Array.isArray(answer)) return answer.join("");
  if (typeof answer === "object" && answer !== null && "exchange" in answer) {
    const mx = answer as MxAnswer;
    return `${mx.priority} ${mx.exchange === "" ? "." : mx.exchange}`;
  }
  return String(answer);
}

function describeError(error: DnsLookupError): string {
  switch (error.code) {
    case "ENOTFOUND":
      return "NXDOMAIN";
    case "ENODATA":
      return "NODATA";
    case "ETIMEOUT":
      return `timeout: ${error.message.replace(/^ETIMEOUT \S+: /, "")}`;
    case "ESERVFAIL":
      return `SERVFAIL: ${error.message.replace(/^ESERVFAIL \S+: ?/, "")}`;
    default:
      return error.message;
  }
}
