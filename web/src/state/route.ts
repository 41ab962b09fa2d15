import { useCallback, useEffect, useState } from "preact/hooks";

export const TABS = ["html", "text", "source", "headers", "auth", "links", "attachments", "release"] as const;
export type Tab = (typeof TABS)[number];

export const SEARCH_FIELDS = ["subject", "from", "to", "text"] as const;
export type SearchField = (typeof SEARCH_FIELDS)[number];

/**
 * Everything the URL says, so a pasted link (a bug report) reopens the same view:
 * `/` all mail, `/all/<id>` a message in all mail, `/inbox/<address>` and `/inbox/<address>/<id>`,
 * plus `?q=` (search), `&in=` (field for bare words) and `&tab=`.
 */
export interface Route {
  inbox: string | null;
  messageId: string | null;
  tab: Tab | null;
  query: string;
  field: SearchField;
}

export const HOME: Route = { inbox: null, messageId: null, tab: null, query: "", field: "subject" };

export function parseRoute(pathname: string, search: string): Route {
  const params = new URLSearchParams(search);
  const tab = params.get("tab");
  const field = params.get("in");
  const base: Route = {
    ...HOME,
    tab: isOneOf(TABS, tab) ? tab : null,
    query: params.get("q") ?? "",
    field: isOneOf(SEARCH_FIELDS, field) ? field : "subject",
  };
  let segments: string[];
  try {
    segments = pathname.split("/").filter(Boolean).map(decodeURIComponent);
  } catch {
    return base; // a malformed %-escape: fall back to all mail rather than a blank page
  }
  const [section, first, second] = segments;
  if (section === "inbox" && first) return { ...base, inbox: first, messageId: second ?? null };
  if (section === "all" && first) return { ...base, messageId: first };
  return base;
}

export function formatRoute(route: Route): string {
  let path = "/";
  if (route.inbox !== null) {
    path = `/inbox/${encodeURIComponent(route.inbox)}`;
    if (route.messageId) path += `/${encodeURIComponent(route.messageId)}`;
  } else if (route.messageId) {
    path = `/all/${encodeURIComponent(route.messageId)}`;
  }
  const params = new URLSearchParams();
  if (route.query) params.set("q", route.query);
  if (route.query && route.field !== "subject") params.set("in", route.field);
  if (route.messageId && route.tab) params.set("tab", route.tab);
  const search = params.toString();
  return search ? `${path}?${search}` : path;
}

function isOneOf<T extends string>(values: readonly T[], value: string | null): value is T {
  return value !== null && (values as readonly string[]).includes(value);
}

export type Navigate = (route: Route, options?: { replace?: boolean }) => void;

/** The current route, following back/forward; `navigate` pushes (or replaces) a history entry. */
export function useRoute(): [Route, Navigate] {
  const [route, setRoute] = useState(() => parseRoute(location.pathname, location.search));
  useEffect(() => {
    const onPopState = () => setRoute(parseRoute(location.pathname, location.search));
    window.addEventListener("popstate", onPopState);
    return () => window.removeEventListener("popstate", onPopState);
  }, []);
  const navigate = useCallback<Navigate>((next, options = {}) => {
    const url = formatRoute(next);
    if (url !== location.pathname + location.search) {
      if (options.replace) history.replaceState(null, "", url);
      else history.pushState(null, "", url);
    }
    setRoute(next);
  }, []);
  return [route, navigate];
}

/** `href` for real links (open in new tab, copy link) plus a click handler that stays in the app. */
export function linkTo(route: Route, navigate: Navigate) {
  return {
    href: formatRoute(route),
    onClick(event: MouseEvent) {
      if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
      event.preventDefault();
      navigate(route);
    },
  };
}
