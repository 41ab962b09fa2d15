import { useCallback, useEffect, useMemo, useRef, useState } from "preact/hooks";
import { isNotFound } from "./api/http.js";
import {
  clearInbox,
  deleteAllMessages,
  deleteMessage,
  markInboxRead,
  setMessageRead,
} from "./api/mailnest-api.js";
import { onTokenPending } from "./api/token.js";
import { useConfirm } from "./components/confirm-dialog.js";
import { InboxNav } from "./components/inbox-nav.js";
import { ListHeader } from "./components/list-header.js";
import { MessageList, rowElementId } from "./components/message-list.js";
import { MessagePane } from "./components/message-pane.js";
import { RulesDialog } from "./components/rules-dialog.js";
import { Toast, useToast } from "./components/toast.js";
import { TokenDialog } from "./components/token-dialog.js";
import { TopBar } from "./components/top-bar.js";
import { WebhooksDialog } from "./components/webhooks-dialog.js";
import { sameAddress } from "./state/addresses.js";
import { useLiveFeed } from "./state/live-feed.js";
import { formatRoute, HOME, type Route, useRoute } from "./state/route.js";
import { hasFilters, parseSearch } from "./state/search-query.js";
import { useInboxes } from "./state/use-inboxes.js";
import { useKeyboardShortcuts } from "./state/use-keyboard-shortcuts.js";
import { useMessage } from "./state/use-message.js";
import { useMessageList } from "./state/use-message-list.js";

export function App() {
  const [route, navigate] = useRoute();
  const { feed, connection } = useLiveFeed();
  // While the token dialog asks, the socket is refused too: "Token required", not "Offline".
  const [tokenPending, setTokenPending] = useState(false);
  useEffect(() => onTokenPending(setTokenPending), []);
  const inboxes = useInboxes(feed);
  const filters = useMemo(() => parseSearch(route.query, route.field), [route.query, route.field]);
  const searching = hasFilters(filters);
  const list = useMessageList(feed, route.inbox, filters);
  const [opened, patchOpened] = useMessage(feed, route.messageId);
  const [activeId, setActiveId] = useState<string | null>(route.messageId);
  const [navOpen, setNavOpen] = useState(false);
  const [remoteAllowed, setRemoteAllowed] = useState<ReadonlySet<string>>(() => new Set());
  const searchRef = useRef<HTMLInputElement>(null);
  const { confirm, dialog: confirmDialog } = useConfirm();
  const toast = useToast();
  const [webhooksOpen, setWebhooksOpen] = useState(false);
  const [rulesOpen, setRulesOpen] = useState(false);

  const listRoute: Route = { ...route, messageId: null, tab: null };
  const currentInbox =
    route.inbox === null
      ? null
      : (inboxes.inboxes.find((inbox) => sameAddress(inbox.address, route.inbox!)) ?? null);
  const count = route.inbox === null ? inboxes.totalMessages : (currentInbox?.messageCount ?? 0);
  const unread = route.inbox === null ? inboxes.totalUnread : (currentInbox?.unreadCount ?? 0);

  useEffect(() => {
    if (route.messageId) setActiveId(route.messageId);
  }, [route.messageId]);

  useEffect(() => {
    document.title = inboxes.totalUnread > 0 ? `(${inboxes.totalUnread}) Mailnest` : "Mailnest";
  }, [inboxes.totalUnread]);

  // Opening a message reads it, once per opening: "Mark unread" afterwards sticks.
  const openedId = opened.status === "ready" ? opened.message.id : null;
  const openedIsUnread = opened.status === "ready" && !opened.message.read;
  useEffect(() => {
    if (!openedId || !openedIsUnread) return;
    setMessageRead(openedId, true).then((summary) => {
      if (summary) {
        list.patch(summary);
        patchOpened(summary);
      }
    }, toast.error("Could not mark the message read"));
  }, [openedId]);

  const focusRow = (id: string) => {
    const row = document.getElementById(rowElementId(id));
    row?.focus();
    row?.scrollIntoView({ block: "nearest" });
  };

  /**
   * Focuses a row once the list has re-rendered (the next frame), unless focus went somewhere
   * meanwhile: a user who closes a message and presses `/` at once is typing in the search box
   * by the time the frame runs, and moving focus then would send the rest of the query to the row.
   */
  const focusRowAfterRender = (id: string) => {
    const focusedBefore = document.activeElement;
    requestAnimationFrame(() => {
      const focusedNow = document.activeElement;
      if (focusedNow !== null && focusedNow !== document.body && focusedNow !== focusedBefore) return;
      focusRow(id);
    });
  };

  const moveCursor = (delta: 1 | -1) => {
    const ids = list.messages.map((message) => message.id);
    if (ids.length === 0) return;
    const from = activeId === null ? -1 : ids.indexOf(activeId);
    const index = from === -1 ? 0 : Math.min(ids.length - 1, Math.max(0, from + delta));
    if (index === from) {
      if (delta === 1 && list.hasMore) void list.loadMore();
      return;
    }
    const id = ids[index]!;
    setActiveId(id);
    // While reading, j/k flip through messages; in the list they move the cursor and Enter opens.
    if (route.messageId) navigate({ ...route, messageId: id }, { replace: true });
    else focusRow(id);
  };

  const removeMessage = async (id: string) => {
    const ids = list.messages.map((message) => message.id);
    const index = ids.indexOf(id);
    const neighbour = index === -1 ? null : (ids[index + 1] ?? ids[index - 1] ?? null);
    try {
      await deleteMessage(id);
    } catch (error) {
      if (!isNotFound(error)) {
        toast.error("Could not delete the message")(error);
        return;
      }
    }
    list.remove([id]);
    setActiveId(neighbour);
    if (route.messageId === id) {
      navigate(neighbour ? { ...route, messageId: neighbour } : listRoute, { replace: true });
    } else if (neighbour) {
      focusRowAfterRender(neighbour);
    }
    toast.show("Message deleted");
  };

  const clearCurrent = async () => {
    const ok = await confirm(
      route.inbox === null
        ? {
            title: "Delete all mail?",
            body: `Every message in every inbox (${inboxes.totalMessages}) is deleted. This cannot be undone.`,
            confirmLabel: "Delete all",
          }
        : {
            title: "Clear this inbox?",
            body: `Every message in ${route.inbox} is deleted (a message also sent to other inboxes stays there). This cannot be undone.`,
            confirmLabel: "Clear inbox",
          },
    );
    if (!ok) return;
    try {
      if (route.inbox === null) await deleteAllMessages();
      else await clearInbox(route.inbox);
      if (route.messageId) navigate(listRoute, { replace: true });
      toast.show(route.inbox === null ? "All mail deleted" : "Inbox cleared");
    } catch (error) {
      toast.error("Could not delete the messages")(error);
    } finally {
      list.refresh();
      inboxes.refresh();
    }
  };

  // During a search the button reads "Mark found read" and covers the messages found, no others.
  const foundUnread = searching ? list.messages.filter((message) => !message.read) : [];
  const markAllRead = async () => {
    try {
      if (searching) {
        const updated = await Promise.all(foundUnread.map((message) => setMessageRead(message.id, true)));
        for (const summary of updated) if (summary) list.patch(summary);
      } else {
        const targets =
          route.inbox === null
            ? inboxes.inboxes.filter((inbox) => inbox.unreadCount > 0).map((inbox) => inbox.address)
            : [route.inbox];
        await Promise.all(targets.map((address) => markInboxRead(address)));
      }
    } catch (error) {
      toast.error("Could not mark the messages read")(error);
    } finally {
      list.refresh();
      inboxes.refresh();
    }
  };

  const toggleRead = async () => {
    if (opened.status !== "ready") return;
    try {
      const summary = await setMessageRead(opened.message.id, !opened.message.read);
      if (summary) {
        list.patch(summary);
        patchOpened(summary);
      }
    } catch (error) {
      toast.error("Could not update the message")(error);
    }
  };

  const closeMessage = () => {
    const id = route.messageId;
    navigate(listRoute);
    if (id) focusRowAfterRender(id);
  };

  useKeyboardShortcuts({
    next: () => moveCursor(1),
    previous: () => moveCursor(-1),
    open: () => {
      if (activeId && activeId !== route.messageId) navigate({ ...route, messageId: activeId, tab: null });
    },
    remove: () => {
      const id = route.messageId ?? activeId;
      if (id) void removeMessage(id);
    },
    focusSearch: () => searchRef.current?.focus(),
    close: () => {
      if (navOpen) setNavOpen(false);
      else if (route.messageId) closeMessage();
    },
  });

  const onSearch = useCallback(
    (query: string, field: Route["field"]) =>
      navigate({ ...route, query, field, messageId: null }, { replace: true }),
    [route, navigate],
  );
  const allowRemote = () => {
    if (route.messageId) setRemoteAllowed((previous) => new Set(previous).add(route.messageId!));
  };

  return (
    <div class="app" data-pane={route.messageId ? "message" : "list"} data-nav={navOpen ? "open" : "closed"}>
      <a class="skip-link" href="#message-list-pane">
        Skip to messages
      </a>
      <TopBar
        navOpen={navOpen}
        onToggleNav={() => setNavOpen((open) => !open)}
        homeHref={formatRoute(HOME)}
        onHome={(event) => {
          event.preventDefault();
          navigate(HOME);
        }}
        query={route.query}
        field={route.field}
        onSearch={onSearch}
        searchRef={searchRef}
        connection={tokenPending ? "locked" : connection}
        onWebhooks={() => setWebhooksOpen(true)}
        onRules={() => setRulesOpen(true)}
      />
      <div class="workspace">
        <InboxNav
          route={route}
          navigate={navigate}
          inboxes={inboxes.inboxes}
          totalMessages={inboxes.totalMessages}
          totalUnread={inboxes.totalUnread}
          smtpPort={inboxes.smtpPort}
          onNavigated={() => setNavOpen(false)}
        />
        <button
          type="button"
          class="nav-scrim"
          tabIndex={-1}
          aria-hidden="true"
          onClick={() => setNavOpen(false)}
        />
        <main class="content">
          <section id="message-list-pane" class="list-pane" aria-labelledby="list-title" tabIndex={-1}>
            <ListHeader
              inbox={route.inbox}
              count={count}
              unread={searching ? foundUnread.length : unread}
              searching={searching}
              shown={list.messages.length}
              more={list.hasMore}
              busy={list.status === "loading" || list.loadingMore}
              onMarkAllRead={() => void markAllRead()}
              onClear={() => void clearCurrent()}
            />
            <div class="list-scroll">
              <MessageList
                route={route}
                navigate={navigate}
                list={list}
                activeId={activeId}
                onActiveChange={setActiveId}
                searching={searching}
                smtpPort={inboxes.smtpPort}
              />
            </div>
          </section>
          <section class="message-pane" aria-label="Message">
            <MessagePane
              state={opened}
              tab={route.tab}
              onTabChange={(tab) => navigate({ ...route, tab }, { replace: true })}
              backHref={formatRoute(listRoute)}
              onBack={closeMessage}
              onDelete={() => route.messageId && void removeMessage(route.messageId)}
              onToggleRead={() => void toggleRead()}
              remoteAllowed={route.messageId !== null && remoteAllowed.has(route.messageId)}
              onAllowRemote={allowRemote}
              hasMessages={list.messages.length > 0 || (searching && inboxes.totalMessages > 0)}
            />
          </section>
        </main>
      </div>
      <TokenDialog />
      <WebhooksDialog
        open={webhooksOpen}
        onClose={() => setWebhooksOpen(false)}
        onError={toast.error("Could not load the webhooks")}
      />
      <RulesDialog
        open={rulesOpen}
        onClose={() => setRulesOpen(false)}
        onError={toast.error("Could not load the fault and report rules")}
      />
      {confirmDialog}
      <Toast state={toast.state} />
    </div>
  );
}
