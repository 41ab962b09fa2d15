import type { ArcVerdict, DkimSignatureVerdict, DmarcVerdict, SpfVerdict } from "@mailnest/protocol";

/**
 * The Authentication-Results header field (RFC 8601) for a message's verdicts, one method per
 * line, with the reasons as comments: what Mailnest would add if it delivered the message.
 */
export function authenticationResultsHeader(
  authservId: string,
  verdicts: { dkim: readonly DkimSignatureVerdict[]; spf: SpfVerdict; dmarc: DmarcVerdict; arc: ArcVerdict },
): string {
  const { dkim, spf, dmarc, arc } = verdicts;
  const lines: string[] = [];
  if (dkim.length === 0) lines.push("dkim=none (message not signed)");
  for (const signature of dkim) {
    lines.push(
      method("dkim", signature.result, signature.reason, [
        ["header.d", signature.domain],
        ["header.s", signature.selector],
        ["header.a", signature.algorithm],
      ]),
    );
  }
  const identity: [string, string] =
    spf.identity === "mailfrom" ? ["smtp.mailfrom", spf.mailFrom] : ["smtp.helo", spf.helo];
  lines.push(method("spf", spf.result, spf.reason, [identity]));
  const policy = dmarc.policy
    ? `p=${dmarc.policy.toUpperCase()} sp=${(dmarc.subdomainPolicy ?? dmarc.policy).toUpperCase()}`
    : null;
  lines.push(
    method("dmarc", dmarc.result, dmarc.result === "pass" ? policy : dmarc.reason, [
      ["header.from", dmarc.fromDomain],
    ]),
  );
  lines.push(method("arc", arc.result, arc.reason, []));
  return `Authentication-Results: ${authservId};\r\n ${lines.join(";\r\n ")}`;
}

function method(
  name: string,
  result: string,
  comment: string | null,
  properties: [string, string][],
): string {
  const parts = [`${name}=${result}`];
  if (comment) parts.push(`(${comment.replace(/[\\()]/g, (character) => `\\${character}`)})`);
  for (const [property, value] of properties) if (value !== "") parts.push(`${property}=${quoted(value)}`);
  return parts.join(" ");
}

/** A property value is a token or an address (RFC 8601 section 2.2); anything else is quoted. */
function quoted(value: string): string {
  return /^[A-Za-z0-9!#$%&'*+.^_`{|}~@-]+$/.test(value)
    ? value
    : `"${value.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}
