import {
  contentIdOfCidUrl,
  cssUrls,
  isCidUrl,
  isRemoteUrl,
  isSafeLinkHref,
  replaceCssCidUrls,
} from "./url-kinds.js";

/**
 * Turns a captured HTML body into the `srcdoc` of the preview iframe.
 *
 * The security does not rest on this function: the iframe is sandboxed without `allow-scripts` and
 * without `allow-same-origin` (no script runs, and the document has an opaque origin), and the
 * Content-Security-Policy below, the first element of <head>, forbids scripts, frames, forms and,
 * until the user allows it, every remote resource. What this function adds is what neither covers:
 * `<meta http-equiv=refresh>` (a navigation, not a fetch), `ping` on links, links that must open in
 * a new tab, `cid:` images, and the count of remote resources the user may choose to load.
 *
 * The HTML is parsed with DOMParser into an inert document: nothing in it runs or loads, and it is
 * never attached to the viewer's own document.
 */

export interface PrepareHtmlOptions {
  /** The user clicked "Load remote content" for this message. */
  allowRemote: boolean;
  /** Content-ID (decoded, lower case, no angle brackets) → `data:` URL of that part. */
  inlineParts: ReadonlyMap<string, string>;
}

export interface PreparedHtml {
  srcdoc: string;
  /** Remote images, stylesheets, fonts … referenced by the message (blocked unless allowed). */
  remoteResources: number;
}

const BASE_POLICY = [
  "default-src 'none'",
  "script-src 'none'",
  "object-src 'none'",
  "frame-src 'none'",
  "child-src 'none'",
  "worker-src 'none'",
  "connect-src 'none'",
  "form-action 'none'",
  "base-uri 'none'",
];

export function contentSecurityPolicy(allowRemote: boolean): string {
  const remote = allowRemote ? " http: https:" : "";
  return [
    ...BASE_POLICY,
    `img-src data: blob:${remote}`,
    `style-src 'unsafe-inline'${remote}`,
    `font-src data:${remote}`,
    `media-src data:${remote}`,
  ].join("; ");
}

/** Elements that can only run code, embed other documents, or change how URLs resolve. */
const REMOVED_ELEMENTS =
  "script, base, meta, iframe, frame, frameset, object, embed, applet, portal, fencedframe";
/** Attributes that load a resource when rendered. */
const RESOURCE_ATTRIBUTES = new Set(["src", "srcset", "background", "poster", "lowsrc", "dynsrc"]);
/** Attributes that send a request or post data on a click, and have no place in a preview. */
const REMOVED_ATTRIBUTES = new Set(["ping", "action", "formaction", "srcdoc", "http-equiv"]);
const XLINK = "http://www.w3.org/1999/xlink";
const BLOCKED_PREFIX = "data-mailnest-blocked-";

/**
 * How often the cleaned HTML may be parsed and cleaned again before it counts as one that cannot be
 * made stable (ordinary HTML is stable after one more round).
 */
const MAX_CLEAN_ROUNDS = 4;

export function prepareHtml(html: string, options: PrepareHtmlOptions): PreparedHtml {
  const first = new DOMParser().parseFromString(html, "text/html");
  const remoteResources = clean(first, options);
  // The iframe parses the text made here again, and HTML's parser need not give back the tree the
  // text was made from: <math>, <svg> and <style> nested in some ways move elements between
  // namespaces on the way (mutation XSS), so an <iframe> hidden in a <style> of the first tree is an
  // element of the second. So the text is parsed and cleaned again until that changes nothing: then
  // the tree the iframe builds is one that was cleaned.
  let serialized = serialize(first);
  for (let round = 0; ; round++) {
    const again = new DOMParser().parseFromString(serialized, "text/html");
    clean(again, options);
    const next = serialize(again);
    if (next === serialized) return { srcdoc: decorate(again, options), remoteResources };
    if (round === MAX_CLEAN_ROUNDS) return unstable(options);
    serialized = next;
  }
}

/** The message's HTML, when cleaning it never settles: a notice instead (the Text and Source tabs still show it). */
function unstable(options: PrepareHtmlOptions): PreparedHtml {
  const doc = new DOMParser().parseFromString(
    "<!doctype html><p>Mailnest could not make this HTML safe to show. The Text and Source tabs show the message.</p>",
    "text/html",
  );
  return { srcdoc: decorate(doc, options), remoteResources: 0 };
}

/** Keeps the message's own doctype (or its absence): old table layouts depend on quirks mode. */
function serialize(doc: Document): string {
  const doctype = doc.doctype ? `${new XMLSerializer().serializeToString(doc.doctype)}\n` : "";
  return doctype + doc.documentElement.outerHTML;
}

/** The policy and the other <meta> elements of our own, first in <head>; the srcdoc. */
function decorate(doc: Document, options: PrepareHtmlOptions): string {
  doc.head.prepend(
    meta(doc, {
      "http-equiv": "Content-Security-Policy",
      content: contentSecurityPolicy(options.allowRemote),
    }),
    meta(doc, { name: "referrer", content: "no-referrer" }),
    meta(doc, { name: "color-scheme", content: "light" }),
  );
  return serialize(doc);
}

/** Removes and rewrites what must not be in a preview, in place; returns the remote resources counted. */
function clean(doc: Document, options: PrepareHtmlOptions): number {
  let remoteResources = 0;
  const resolveCid = (contentId: string) => options.inlineParts.get(contentId);

  for (const element of doc.querySelectorAll(REMOVED_ELEMENTS)) element.remove();
  for (const link of doc.querySelectorAll("link")) {
    // Stylesheets stay (and wait for permission); preload, prefetch, icons … would fetch on their own.
    if (!/\bstylesheet\b/i.test(link.getAttribute("rel") ?? "")) link.remove();
  }

  for (const element of doc.querySelectorAll("*")) {
    for (const attribute of [...element.attributes]) {
      const name = attribute.name.toLowerCase();
      if (name.startsWith("on") || REMOVED_ATTRIBUTES.has(name)) {
        element.removeAttributeNode(attribute);
      } else if (name === "style") {
        attribute.value = replaceCssCidUrls(attribute.value, resolveCid);
        remoteResources += cssUrls(attribute.value).filter(isRemoteUrl).length;
      } else if (RESOURCE_ATTRIBUTES.has(name) || isResourceHref(element, name)) {
        remoteResources += rewriteResource(element, attribute, options, resolveCid);
      }
    }
  }

  for (const style of doc.querySelectorAll("style")) {
    const css = replaceCssCidUrls(style.textContent ?? "", resolveCid);
    style.textContent = css;
    remoteResources += cssUrls(css).filter(isRemoteUrl).length;
  }

  for (const anchor of doc.querySelectorAll("a, area")) rewriteLink(anchor);

  const root = doc.documentElement;
  for (const attribute of [...root.attributes]) {
    if (attribute.name !== "lang" && attribute.name !== "dir") root.removeAttributeNode(attribute);
  }
  return remoteResources;
}

/** `href` loads something on <link>, SVG <image>, <use> and <feImage>; on <a> it is navigation. */
function isResourceHref(element: Element, name: string): boolean {
  if (name !== "href" && name !== "xlink:href") return false;
  const tag = element.localName.toLowerCase();
  return tag === "link" || tag === "image" || tag === "use" || tag === "feimage";
}

/** Returns 1 when the attribute points at a remote resource. */
function rewriteResource(
  element: Element,
  attribute: Attr,
  options: PrepareHtmlOptions,
  resolveCid: (contentId: string) => string | undefined,
): number {
  const value = attribute.value;
  if (isCidUrl(value)) {
    const inline = resolveCid(contentIdOfCidUrl(value));
    if (inline) attribute.value = inline;
    return 0;
  }
  const urls = attribute.name === "srcset" ? value.split(",").map((candidate) => candidate.trim()) : [value];
  if (urls.some(isRemoteUrl)) {
    if (!options.allowRemote) {
      // Belt and braces with the CSP: a blocked URL is not even in an attribute that loads.
      element.setAttribute(BLOCKED_PREFIX + attribute.name.replace(":", "-"), value);
      element.removeAttributeNode(attribute);
    }
    return 1;
  }
  // Relative URLs mean nothing in a mail and would resolve against the viewer's own origin.
  if (!/^\s*(data:|#)/i.test(value) && value.trim() !== "") element.removeAttributeNode(attribute);
  return 0;
}

/** The preview's own URL: an in-page link must name it, or it resolves against the viewer's. */
const PREVIEW_URL = "about:srcdoc";

/** Each of `href` and SVG's `xlink:href` on its own: a safe one must not vouch for the other. */
function rewriteLink(anchor: Element): void {
  const links = [anchor.getAttributeNode("href"), anchor.getAttributeNodeNS(XLINK, "href")];
  for (const link of links) {
    if (link === null) continue;
    const href = link.value.trim();
    if (href.startsWith("#") || href.startsWith(`${PREVIEW_URL}#`)) {
      // `#part` would load the viewer's page into the frame (and be refused); the srcdoc's own URL
      // with the fragment scrolls within it.
      link.value = href.startsWith("#") ? PREVIEW_URL + href : href;
    } else if (isSafeLinkHref(href)) {
      anchor.setAttribute("target", "_blank");
      anchor.setAttribute("rel", "noopener noreferrer");
    } else {
      // javascript:, data:, relative … : shown, not followed.
      anchor.removeAttributeNode(link);
      anchor.setAttribute("title", `Link removed by Mailnest: ${href.slice(0, 200)}`);
    }
  }
}

function meta(doc: Document, attributes: Record<string, string>): HTMLMetaElement {
  const element = doc.createElement("meta");
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  return element;
}

/** Content-IDs the HTML refers to, so only those attachments are fetched for the preview. */
export function referencedContentIds(html: string): Set<string> {
  const ids = new Set<string>();
  for (const match of html.matchAll(/cid:([^"'\s)>]+)/gi)) ids.add(contentIdOfCidUrl(`cid:${match[1]}`));
  return ids;
}
