import type { ComponentChildren } from "preact";
import type { MessageAuthentication } from "../../api/types.js";
import { type Tone, toneOf, trustSentence } from "../../state/auth-verdict.js";

/**
 * The verdicts the server computed when the message arrived (docs/authentication.md): a pass/fail
 * summary first, then each method with its reason in words, the Authentication-Results header, and
 * the DNS lookups that were made.
 */
export function AuthTab({ auth }: { auth: MessageAuthentication }) {
  const dkimWord = auth.dkim.some((signature) => signature.result === "pass")
    ? "pass"
    : (auth.dkim[0]?.result ?? "none");
  const { spf, dmarc, arc } = auth;
  return (
    <div class="auth-tab">
      <section aria-label="Summary" class="auth-summary">
        <div class="auth-chips">
          <Chip method="DKIM" result={dkimWord} />
          <Chip method="SPF" result={spf.result} />
          <Chip method="DMARC" result={dmarc.result} />
          <Chip method="ARC" result={arc.result} />
        </div>
        <p class={`auth-sentence tone-${toneOf(dmarc.result === "none" ? dkimWord : dmarc.result)}`}>
          {trustSentence(auth)}
        </p>
      </section>

      <Section id="auth-dkim" title="DKIM">
        {auth.dkim.length === 0 ? (
          <p class="tab-message">The message is not signed (no DKIM-Signature header).</p>
        ) : (
          <div class="table-scroll">
            <table class="data-table">
              <thead>
                <tr>
                  <th scope="col">Result</th>
                  <th scope="col">Domain (d=)</th>
                  <th scope="col">Selector (s=)</th>
                  <th scope="col">Algorithm</th>
                  <th scope="col">Why</th>
                  <th scope="col">Key</th>
                  <th scope="col">Aligned</th>
                </tr>
              </thead>
              <tbody>
                {auth.dkim.map((signature, index) => (
                  <tr key={index}>
                    <td>
                      <Word result={signature.result} />
                    </td>
                    <td>{signature.domain}</td>
                    <td>{signature.selector}</td>
                    <td>{signature.algorithm}</td>
                    <td>{signature.reason ?? <span class="muted">verified</span>}</td>
                    <td>
                      {signature.keyBits === null ? (
                        <span class="muted">–</span>
                      ) : (
                        `${signature.keyBits} bits`
                      )}
                    </td>
                    <td>{signature.aligned ? "yes" : "no"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Section>

      <Section id="auth-spf" title="SPF">
        <Facts
          rows={[
            ["Result", <Word result={spf.result} />],
            ["Why", spf.reason],
            [
              "Checked",
              `${spf.clientIp} for ${spf.identity === "mailfrom" ? `MAIL FROM ${spf.mailFrom}` : `HELO ${spf.helo}`} (${spf.domain})`,
            ],
            ["Mechanism", spf.mechanism === null ? null : <code>{spf.mechanism}</code>],
            ["Record", spf.record === null ? null : <code>{spf.record}</code>],
            ["DNS lookups", `${spf.lookups} of 10, ${spf.voidLookups} void of 2`],
          ]}
        />
      </Section>

      <Section id="auth-dmarc" title="DMARC">
        <Facts
          rows={[
            ["Result", <Word result={dmarc.result} />],
            ["Why", dmarc.reason],
            ["From domain", dmarc.fromDomain || null],
            [
              "Record",
              dmarc.record === null ? null : (
                <>
                  <code>{dmarc.recordName}</code> <code>{dmarc.record}</code>
                </>
              ),
            ],
            [
              "Policy",
              dmarc.policy === null
                ? null
                : `p=${dmarc.policy}, sp=${dmarc.subdomainPolicy ?? dmarc.policy}${(dmarc.percentage ?? 100) === 100 ? "" : `, pct=${dmarc.percentage}`}; applies: ${dmarc.appliedPolicy}`,
            ],
            ["Alignment", `DKIM ${dmarc.alignment.dkim}, SPF ${dmarc.alignment.spf}`],
            [
              "Aligned through",
              dmarc.alignedBy.length === 0 ? "nothing" : dmarc.alignedBy.join(", ").toUpperCase(),
            ],
          ]}
        />
      </Section>

      <Section id="auth-arc" title="ARC">
        <Facts
          rows={[
            ["Result", <Word result={arc.result} />],
            ["Why", arc.reason],
            [
              "Chain",
              arc.chain.length === 0
                ? "no ARC sets"
                : arc.chain
                    .map((hop) => `i=${hop.instance} ${hop.domain} (s=${hop.selector}, cv=${hop.cv})`)
                    .join("; "),
            ],
          ]}
        />
      </Section>

      <Section id="auth-header" title="Authentication-Results">
        <pre class="auth-header">{auth.authenticationResults}</pre>
      </Section>

      <Section id="auth-dns" title={`DNS lookups (${auth.dnsMode} mode)`}>
        {auth.dnsLookups.length === 0 ? (
          <p class="tab-message">No lookups were needed.</p>
        ) : (
          <div class="table-scroll">
            <table class="data-table">
              <thead>
                <tr>
                  <th scope="col">Type</th>
                  <th scope="col">Name</th>
                  <th scope="col">Answer</th>
                  <th scope="col">From</th>
                </tr>
              </thead>
              <tbody>
                {auth.dnsLookups.map((lookup, index) => (
                  <tr key={index}>
                    <td>{lookup.type}</td>
                    <td>
                      <code>{lookup.name}</code>
                    </td>
                    <td class="auth-answer">
                      {lookup.error === null ? (
                        lookup.answers.map((answer, at) => <code key={at}>{answer}</code>)
                      ) : (
                        <span class="tag warn">{lookup.error}</span>
                      )}
                    </td>
                    <td>{lookup.source}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Section>
    </div>
  );
}

function Chip({ method, result }: { method: string; result: string }) {
  return (
    <span class={`auth-chip tone-${toneOf(result)}`}>
      <span class="auth-chip-method">{method}</span> {result}
    </span>
  );
}

function Word({ result }: { result: string }) {
  const tone: Tone = toneOf(result);
  return <span class={`auth-word tone-${tone}`}>{result}</span>;
}

function Section({ id, title, children }: { id: string; title: string; children: ComponentChildren }) {
  return (
    <section aria-labelledby={id}>
      <h3 id={id} class="section-heading">
        {title}
      </h3>
      {children}
    </section>
  );
}

function Facts({ rows }: { rows: [string, ComponentChildren | null][] }) {
  return (
    <dl class="auth-facts">
      {rows
        .filter(([, value]) => value !== null && value !== "")
        .map(([name, value]) => (
          <div key={name}>
            <dt>{name}</dt>
            <dd>{value}</dd>
          </div>
        ))}
    </dl>
  );
}
