import { useCallback, useEffect, useMemo, useRef, useState } from "preact/hooks";
import { isNotFound } from "../api/http.js";
import { listMessages } from "../api/mailnest-api.js";
import type { ListFilters, MessagePage, MessageSummary } from "../api/types.js";
import { sameAddress } from "./addresses.js";
import { CoalescedTask } from "./coalesced-task.js";
import type { LiveFeed } from "./live-feed.js";

/** Rows per request; the list then grows on demand, so 10,000 messages never load at once. */
const PAGE_SIZE = 100;
/** A catch-up that finds more new messages than this reloads the first page instead. */
const CATCH_UP_LIMIT = 500;

export interface MessageListState {
  messages: MessageSummary[];
  status: "loading" | "ready" | "error";
  error: unknown;
  hasMore: boolean;
  loadingMore: boolean;
  /** Ids that arrived live while the list was open (highlighted briefly). */
  freshIds: ReadonlySet<string>;
  loadMore(): Promise<void>;
  /** Applies a change the user just made, before the server's event confirms it. */
  patch(message: MessageSummary): void;
  remove(ids: readonly string[]): void;
  /** Refetches the first page (after a bulk change such as "clear inbox"). */
  refresh(): void;
}

interface Snapshot {
  messages: MessageSummary[];
  nextCursor: string | null;
  head: number;
  status: MessageListState["status"];
  error: unknown;
  loadingMore: boolean;
  freshIds: Set<string>;
}

const EMPTY: Snapshot = {
  messages: [],
  nextCursor: null,
  head: 0,
  status: "loading",
  error: null,
  loadingMore: false,
  freshIds: new Set(),
};

/**
 * One page of messages (all mail or one inbox, filtered server-side), growing with "load more" and
 * updated live: new mail is fetched with `since=<head>` and the same filters, so a search stays
 * correct while mail arrives; updates and deletions are applied in place.
 */
export function useMessageList(feed: LiveFeed, inbox: string | null, filters: ListFilters): MessageListState {
  const [snapshot, setSnapshot] = useState<Snapshot>(EMPTY);
  const current = useRef<Snapshot>(EMPTY);
  // Bumped on every reload; answers for an older generation are dropped.
  const generation = useRef(0);
  const reloadTaskRef = useRef<CoalescedTask | null>(null);
  const filterKey = JSON.stringify(filters);

  const update = useCallback((change: (previous: Snapshot) => Snapshot) => {
    current.current = change(current.current);
    setSnapshot(current.current);
  }, []);

  const query = useMemo(() => ({ inbox, filters }), [inbox, filterKey]);

  useEffect(() => {
    const controller = new AbortController();
    // New mail announced while a reload is in flight may be missing from its answer: catch up after it.
    let catchUpWanted = false;
    const reload = async () => {
      const mine = ++generation.current;
      try {
        const page = await listMessages(query.inbox, query.filters, {
          limit: PAGE_SIZE,
          signal: controller.signal,
        });
        if (mine !== generation.current) return;
        update((previous) => ({
          ...EMPTY,
          messages: page.messages,
          nextCursor: page.nextCursor,
          head: page.head,
          status: "ready",
          // Keep the highlight on rows that are still there after a refetch.
          freshIds: previous.freshIds,
        }));
        if (catchUpWanted) {
          catchUpWanted = false;
          catchUpTask.schedule(0);
        }
      } catch (error) {
        if (mine !== generation.current || controller.signal.aborted) return;
        if (isNotFound(error)) {
          // An inbox nobody has written to yet: empty for now, and mail to it will show up live.
          update(() => ({ ...EMPTY, status: "ready" }));
          return;
        }
        update((previous) => ({ ...previous, status: "error", error }));
      }
    };
    const catchUp = async () => {
      const mine = generation.current;
      const snap = current.current;
      if (snap.status === "error") {
        reloadTask.schedule(0);
        return;
      }
      if (snap.status !== "ready") {
        catchUpWanted = true;
        return;
      }
      let page: MessagePage;
      try {
        page = await listMessages(query.inbox, query.filters, {
          since: snap.head,
          limit: CATCH_UP_LIMIT,
          signal: controller.signal,
        });
      } catch (error) {
        if (isNotFound(error)) return; // the inbox still has no mail: the news was for another one
        throw error;
      }
      if (mine !== generation.current) return;
      if (page.nextCursor !== null) {
        await reload();
        return;
      }
      update((previous) => {
        const known = new Set(previous.messages.map((message) => message.id));
        const arrived = page.messages.filter((message) => !known.has(message.id));
        const freshIds = new Set(previous.freshIds);
        for (const message of arrived) freshIds.add(message.id);
        return {
          ...previous,
          messages: arrived.length > 0 ? [...arrived, ...previous.messages] : previous.messages,
          head: Math.max(previous.head, page.head),
          freshIds,
        };
      });
    };

    // Keep the old rows on screen (dimmed) while the new query loads: no flicker as the user types.
    update((previous) => ({ ...previous, status: "loading", nextCursor: null }));
    const reloadTask = new CoalescedTask(reload, 50);
    const catchUpTask = new CoalescedTask(catchUp, 30);
    reloadTaskRef.current = reloadTask;
    reloadTask.schedule(0);

    const unsubscribe = feed.subscribe((signal) => {
      if (signal.kind === "connected") {
        if (signal.afterLoss) reloadTask.schedule();
        else catchUpTask.schedule();
        return;
      }
      const { event } = signal;
      switch (event.type) {
        case "message.received":
          catchUpTask.schedule();
          break;
        case "message.updated": {
          const updated = event.data.message;
          update((previous) =>
            previous.messages.some((message) => message.id === updated.id)
              ? {
                  ...previous,
                  messages: previous.messages.map((message) =>
                    message.id === updated.id ? updated : message,
                  ),
                }
              : previous,
          );
          break;
        }
        case "message.deleted":
          update((previous) => withoutIds(previous, [event.data.id]));
          break;
        case "inbox.cleared":
        case "inbox.deleted":
          if (query.inbox === null || sameAddress(query.inbox, event.data.address)) reloadTask.schedule();
          break;
        default:
          break;
      }
    });
    return () => {
      unsubscribe();
      reloadTask.dispose();
      catchUpTask.dispose();
      controller.abort();
      generation.current += 1;
    };
  }, [feed, query, update]);

  const loadMore = useCallback(async () => {
    const snap = current.current;
    if (!snap.nextCursor || snap.loadingMore || snap.status !== "ready") return;
    const mine = generation.current;
    update((previous) => ({ ...previous, loadingMore: true }));
    try {
      const page = await listMessages(query.inbox, query.filters, {
        cursor: snap.nextCursor,
        limit: PAGE_SIZE,
      });
      if (mine !== generation.current) return;
      update((previous) => {
        const known = new Set(previous.messages.map((message) => message.id));
        return {
          ...previous,
          messages: [...previous.messages, ...page.messages.filter((message) => !known.has(message.id))],
          nextCursor: page.nextCursor,
          loadingMore: false,
        };
      });
    } catch (error) {
      if (mine !== generation.current) return;
      update((previous) => ({ ...previous, loadingMore: false, error }));
    }
  }, [query, update]);

  const patch = useCallback(
    (changed: MessageSummary) =>
      update((previous) => ({
        ...previous,
        messages: previous.messages.map((message) => (message.id === changed.id ? changed : message)),
      })),
    [update],
  );
  const remove = useCallback(
    (ids: readonly string[]) => update((previous) => withoutIds(previous, ids)),
    [update],
  );
  const refresh = useCallback(() => reloadTaskRef.current?.schedule(0), []);

  return {
    messages: snapshot.messages,
    status: snapshot.status,
    error: snapshot.error,
    hasMore: snapshot.nextCursor !== null,
    loadingMore: snapshot.loadingMore,
    freshIds: snapshot.freshIds,
    loadMore,
    patch,
    remove,
    refresh,
  };
}

function withoutIds(snapshot: Snapshot, ids: readonly string[]): Snapshot {
  if (!snapshot.messages.some((message) => ids.includes(message.id))) return snapshot;
  return { ...snapshot, messages: snapshot.messages.filter((message) => !ids.includes(message.id)) };
}
