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

export function prepareHtml(html: string, options: PrepareHtmlOptions): PreparedHtml {
  const doc = new DOMParser().parseFromString(html, "text/html");
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
  doc.head.prepend(
    meta(doc, {
      "http-equiv": "Content-Security-Policy",
      content: contentSecurityPolicy(options.allowRemote),
    }),
    meta(doc, { name: "referrer", content: "no-referrer" }),
    meta(doc, { name: "color-scheme", content: "light" }),
  );

  // Keep the message's own doctype (or its absence): old table layouts depend on quirks mode.
  const doctype = doc.doctype ? `${new XMLSerializer().serializeToString(doc.doctype)}\n` : "";
  return { srcdoc: doctype + root.outerHTML, remoteResources };
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

function rewriteLink(anchor: Element): void {
  const href = anchor.getAttribute("href") ?? anchor.getAttributeNS(XLINK, "href");
  if (href === null) return;
  if (href.trim().startsWith("#")) return;
  if (isSafeLinkHref(href)) {
    anchor.setAttribute("target", "_blank");
    anchor.setAttribute("rel", "noopener noreferrer");
    return;
  }
  // javascript:, data:, relative … : shown, not followed.
  anchor.removeAttribute("href");
  anchor.removeAttributeNS(XLINK, "href");
  anchor.setAttribute("title", `Link removed by Mailnest: ${href.slice(0, 200)}`);
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
