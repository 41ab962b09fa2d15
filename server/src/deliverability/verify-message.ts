import { MAX_DKIM_SIGNATURES_VERIFIED, MIN_DKIM_KEY_BITS } from "@mailnest/protocol";
import { arcVerdict } from "./arc-check.js";
import { dkimVerdicts } from "./dkim-check.js";
import { aligns, checkDmarc } from "./dmarc-check.js";
import { DnsLookupSession } from "./dns-lookup-session.js";
import { bytesToVerify, headerFieldsOf, withoutFields } from "./header-fields.js";
import { dkimVerify, verifyArc } from "./mailauth-parts.js";
import {
  DEFAULT_DNS_BUDGET_MS,
  DEFAULT_VERIFY_TIMEOUT_MS,
  type MessageVerifier,
  type MessageVerifierOptions,
  type VerificationInput,
} from "./message-verifier.js";
import { checkSpf } from "./spf-check.js";
import { assembleAuthentication, unfinishedAuthentication } from "./unfinished-verification.js";

// What the first verification would load (mailauth's parts: about 70 ms here once this module is
// loaded), for the event loop's verifier to load in the background after startup
// (`verifierLoadedWhenUsed`, deliverability-lab.ts).
export { loadMailauthParts } from "./mailauth-parts.js";

/**
 * DKIM, SPF, ARC and DMARC for one raw message, in that order (DMARC needs the other results),
 * the way mailauth's `authenticate()` composes them, minus BIMI. The lookups go through one
 * `DnsLookupSession`, which records them for the verdict.
 */
export function createMessageVerifier(options: MessageVerifierOptions): MessageVerifier {
  const { resolver, authservId } = options;
  const timeoutMs = options.timeoutMs ?? DEFAULT_VERIFY_TIMEOUT_MS;
  const dnsBudgetMs = options.dnsBudgetMs ?? DEFAULT_DNS_BUDGET_MS;

  const context = (session: DnsLookupSession, started: number) => ({
    mode: resolver.mode,
    authservId,
    lookups: [...session.lookups],
    durationMs: Math.round((performance.now() - started) * 100) / 100,
  });

  async function run(input: VerificationInput, session: DnsLookupSession, started: number) {
    const fields = headerFieldsOf(input.raw);
    const signatures = fields.filter((field) => field.name === "dkim-signature");
    // Signatures past the cap are cut from the copy mailauth reads, so that 50 of them (each with
    // its own l= and so its own body hash) cost no more than 10. ARC is evaluated on that copy too.
    const message =
      signatures.length > MAX_DKIM_SIGNATURES_VERIFIED
        ? withoutFields(input.raw, signatures.slice(MAX_DKIM_SIGNATURES_VERIFIED))
        : bytesToVerify(input.raw);
    const resolve = session.resolve;
    const verification = await dkimVerify(message, { resolver: resolve, minBitLength: MIN_DKIM_KEY_BITS });
    const spf = await checkSpf(session, {
      ip: input.ip,
      helo: input.helo,
      mailFrom: input.mailFrom,
      authservId,
    });
    const arcResult = await verifyArc(verification.arc ?? { chain: false }, {
      resolver: resolve,
      minBitLength: MIN_DKIM_KEY_BITS,
    });
    const arc = arcVerdict(
      verification,
      arcResult,
      fields.filter((field) => field.name === "arc-seal"),
    );
    const dkim = dkimVerdicts(signatures, verification.results, session, resolver.mode);
    const dmarc = await checkDmarc(session, { fromAddresses: verification.headerFrom, dkim, spf });
    for (const signature of dkim) {
      signature.aligned =
        dmarc.fromDomain !== "" && aligns(signature.domain, dmarc.fromDomain, dmarc.alignment.dkim);
    }
    return assembleAuthentication({ dkim, spf, dmarc, arc }, context(session, started));
  }

  return {
    resolver,
    async verify(input) {
      const started = performance.now();
      const session = new DnsLookupSession(resolver, started + dnsBudgetMs);
      let timer: NodeJS.Timeout | undefined;
      const expired = new Promise<string>((resolve) => {
        timer = setTimeout(() => resolve(`verification did not finish within ${timeoutMs} ms`), timeoutMs);
      });
      try {
        const outcome = await Promise.race([run(input, session, started), expired]);
        if (typeof outcome !== "string") return outcome;
        return unfinishedAuthentication(input, outcome, context(session, started));
      } catch (error) {
        // mailauth should not throw; if it does, the message is still stored, with the reason.
        const reason = `verification failed: ${(error as Error).message}`;
        return unfinishedAuthentication(input, reason, context(session, started));
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
