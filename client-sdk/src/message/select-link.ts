import type { Link } from "@mailnest/protocol";
import {
  type CompiledTextMatcher,
  compileTextMatcher,
  isTextMatcher,
  TEXT_MATCHER_EXPECTATION,
  type TextMatcher,
} from "../filter/text-matcher.js";
import { describeValue } from "../util/describe.js";

/**
 * Which link: a string or RegExp matches the href **or** the link text; the object form narrows
 * each part (all given parts must hold).
 */
export type LinkFilter = TextMatcher | { href?: TextMatcher; text?: TextMatcher; source?: "html" | "text" };

export interface CompiledLinkFilter {
  test(link: Link): boolean;
  description: string;
}

export function compileLinkFilter(filter: LinkFilter | undefined): CompiledLinkFilter {
  if (filter === undefined) return { test: () => true, description: "" };
  if (isTextMatcher(filter)) {
    const matcher = compileTextMatcher(filter);
    return {
      test: (link) => matcher.test(link.href) || matcher.test(link.text),
      description: `href or text ${matcher.description}`,
    };
  }
  if (typeof filter !== "object" || filter === null || filter instanceof RegExp || Array.isArray(filter)) {
    throw new TypeError(
      `Expected a link filter: ${TEXT_MATCHER_EXPECTATION}, or { href?, text?, source? }; got ${describeValue(filter)}`,
    );
  }
  const parts: Array<{ name: string; matcher: CompiledTextMatcher; pick: (link: Link) => string }> = [];
  for (const key of Object.keys(filter)) {
    if (key !== "href" && key !== "text" && key !== "source") {
      throw new TypeError(`Unknown link filter key "${key}"; expected href, text or source`);
    }
  }
  for (const key of ["href", "text"] as const) {
    const value = filter[key];
    if (value === undefined) continue;
    if (!isTextMatcher(value)) {
      throw new TypeError(
        `Expected link filter ${key} to be ${TEXT_MATCHER_EXPECTATION}; got ${describeValue(value)}`,
      );
    }
    parts.push({ name: key, matcher: compileTextMatcher(value), pick: (link) => link[key] });
  }
  const source = filter.source;
  if (source !== undefined && source !== "html" && source !== "text") {
    throw new TypeError(`Expected link filter source to be "html" or "text"; got ${describeValue(source)}`);
  }
  const described = parts.map((part) => `${part.name} ${part.matcher.description}`);
  if (source) described.push(`from the ${source} part`);
  return {
    test: (link) =>
      (source === undefined || link.source === source) &&
      parts.every((part) => part.matcher.test(part.pick(link))),
    description: described.join(", "),
  };
}

/**
 * The links that match, each href once: a message usually repeats its main link (button, fallback
 * text, text part), and that is one link, not an ambiguity. The first occurrence wins (HTML first).
 */
export function matchingLinks(links: readonly Link[], filter: CompiledLinkFilter): Link[] {
  const byHref = new Map<string, Link>();
  for (const link of links) {
    if (filter.test(link) && !byHref.has(link.href)) byHref.set(link.href, link);
  }
  return [...byHref.values()];
}

export function describeLink(link: Link): string {
  return link.text && link.text !== link.href
    ? `${link.href} (${link.source} "${link.text}")`
    : `${link.href} (${link.source})`;
}
