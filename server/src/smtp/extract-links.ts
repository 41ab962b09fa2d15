import { collapseWhitespace } from "@mailnest/protocol";
import LinkifyIt from "linkify-it";
import type { Link } from "../store/model.js";
import { boundedHtmlParser } from "./html-parser.js";

/** Links found in a message's bodies: HTML anchors first, then links in the text part. */
export function extractLinks(bodies: { html: string | null; text: string | null }): Link[] {
  return [
    ...(bodies.html === null ? [] : extractHtmlLinks(bodies.html)),
    ...(bodies.text === null ? [] : extractTextLinks(bodies.text)),
  ];
}

/**
 * Every `<a href>` with its text content (entities decoded, whitespace collapsed). Anchors cannot
 * nest in HTML; if a message nests them anyway, text belongs to the innermost open anchor. The same
 * href with the same text is listed once; the same href with different texts (a "Verify" button
 * and a "copy this link" fallback) is listed once per text.
 */
export function extractHtmlLinks(html: string): Link[] {
  const links = new UniqueLinks();
  const open: { href: string | null; text: string }[] = [];
  const parser = boundedHtmlParser({
    onopentag(name, attributes) {
      if (name === "a") {
        const href = attributes.href?.trim();
        open.push({ href: href ? href : null, text: "" });
      }
    },
    ontext(text) {
      const innermost = open.at(-1);
      if (innermost) innermost.text += text;
    },
    onclosetag(name) {
      if (name !== "a") return;
      const anchor = open.pop();
      if (anchor?.href)
        links.add({ href: anchor.href, text: collapseWhitespace(anchor.text), source: "html" });
    },
  });
  parser.end(html);
  return links.values();
}

// Fuzzy (scheme-less) links are limited to "www." hosts: matching every "name.tld" would turn file
// names like "readme.md" or "report.pl" into links. E-mail addresses become mailto: links. The
// reserved test TLDs (RFC 2606/6761, and our default domain mailnest.test) are what a sandbox sees most.
const linkify = new LinkifyIt({}, { fuzzyLink: true, fuzzyEmail: true, fuzzyIP: false }).tlds(
  ["test", "example", "invalid", "localhost", "local", "internal"],
  true,
);

/**
 * Every link kept below needs one of these: `//` (http, https, ftp and scheme-relative links),
 * `mailto:`, `@` (bare e-mail addresses) or `www.` (the only fuzzy hosts kept). Text without any of
 * them skips linkify's fuzzy scan, which costs about 5 % of ingest CPU on plain-text mail
 * (docs/performance.md); linkify's own `pretest` would still pass any "word.tld".
 */
const MIGHT_HOLD_A_KEPT_LINK = /\/\/|mailto:|@|www\./i;

/**
 * Links in plain text (http(s), ftp, mailto:, bare e-mail addresses and `www.` hosts); trailing
 * punctuation such as a sentence's final period or a closing parenthesis is not part of the link.
 * Each href is listed once.
 */
export function extractTextLinks(text: string): Link[] {
  const links = new UniqueLinks();
  if (!MIGHT_HOLD_A_KEPT_LINK.test(text)) return links.values();
  for (const match of linkify.match(text) ?? []) {
    const fuzzy = match.schema === "";
    if (fuzzy && !match.raw.toLowerCase().startsWith("www.")) continue;
    links.add({ href: match.url, text: match.raw, source: "text" });
  }
  return links.values();
}

class UniqueLinks {
  readonly #byKey = new Map<string, Link>();

  add(link: Link): void {
    const key = link.source === "html" ? `${link.href}\u0000${link.text}` : link.href;
    if (!this.#byKey.has(key)) this.#byKey.set(key, link);
  }

  values(): Link[] {
    return [...this.#byKey.values()];
  }
}
