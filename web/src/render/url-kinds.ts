/** How the viewer treats a URL found in a captured message. */

/** Only these become clickable links, in the viewer's page or (new tab) from the preview. */
export function isSafeLinkHref(href: string): boolean {
  return /^\s*(https?:|mailto:|tel:)/i.test(href);
}

/** Fetches something from the network when used as a resource: `http(s):` and protocol-relative `//host`. */
export function isRemoteUrl(url: string): boolean {
  return /^\s*(https?:)?\/\//i.test(url);
}

export function isCidUrl(url: string): boolean {
  return /^\s*cid:/i.test(url);
}

/** `cid:` URLs are %-encoded Content-IDs (RFC 2392); compare them decoded and case-insensitively. */
export function contentIdOfCidUrl(url: string): string {
  const id = url.trim().slice(4);
  try {
    return decodeURIComponent(id).toLowerCase();
  } catch {
    return id.toLowerCase();
  }
}

/** `url(...)` references and `@import "..."` inside CSS text. */
const CSS_URL = /url\(\s*(['"]?)(.*?)\1\s*\)|@import\s+(['"])(.*?)\3/gi;

export function cssUrls(css: string): string[] {
  const urls: string[] = [];
  for (const match of css.matchAll(CSS_URL)) {
    const url = match[2] ?? match[4];
    if (url) urls.push(url);
  }
  return urls;
}

/** Rewrites every `url(cid:…)` in CSS text; unknown ids are left for the CSP to refuse. */
export function replaceCssCidUrls(css: string, resolve: (contentId: string) => string | undefined): string {
  return css.replace(/url\(\s*(['"]?)\s*(cid:[^'")]*)\1\s*\)/gi, (whole, _quote: string, cid: string) => {
    const replacement = resolve(contentIdOfCidUrl(cid));
    return replacement ? `url("${replacement}")` : whole;
  });
}
