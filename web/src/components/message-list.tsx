import { Component } from "preact";
import { useEffect, useRef } from "preact/hooks";
import type { MessageSummary } from "../api/types.js";
import { authBadge } from "../state/auth-verdict.js";
import { formatListDate, senderLabel } from "../state/format.js";
import { linkTo, type Navigate, type Route } from "../state/route.js";
import type { MessageListState } from "../state/use-message-list.js";
import { PaperclipIcon } from "./icons.js";

interface MessageListProps {
  route: Route;
  navigate: Navigate;
  list: MessageListState;
  /** The keyboard cursor (j/k); the one row in the tab order. */
  activeId: string | null;
  onActiveChange(id: string): void;
  searching: boolean;
  smtpPort: number | null;
}

export function rowElementId(messageId: string): string {
  return `row-${messageId}`;
}

export function MessageList(props: MessageListProps) {
  const { list, route } = props;
  const sentinel = useRef<HTMLButtonElement>(null);

  // Load the next page when "Load more" scrolls into view; the button stays for keyboard users.
  useEffect(() => {
    const element = sentinel.current;
    if (!element || !list.hasMore) return;
    const observer = new IntersectionObserver(
      (entries) => {
        if (entries.some((entry) => entry.isIntersecting)) void list.loadMore();
      },
      { rootMargin: "400px 0px" },
    );
    observer.observe(element);
    return () => observer.disconnect();
  }, [list.hasMore, list.loadMore, list.messages.length]);

  if (list.status === "error" && list.messages.length === 0) {
    return (
      <p class="list-message" role="alert">
        Could not load messages: {list.error instanceof Error ? list.error.message : String(list.error)}
      </p>
    );
  }
  if (list.status === "ready" && list.messages.length === 0) {
    return (
      <div class="list-message">
        {props.searching ? (
          <p>No messages match this search.</p>
        ) : (
          <>
            <p class="list-message-title">No mail yet</p>
            <p>
              Point your app's SMTP settings at <code>127.0.0.1:{props.smtpPort ?? 1025}</code>; new messages
              appear here as they arrive.
            </p>
          </>
        )}
      </div>
    );
  }

  // The first row is reachable with Tab when the cursor is elsewhere (or nowhere).
  const tabStop = list.messages.some((message) => message.id === props.activeId)
    ? props.activeId
    : (list.messages[0]?.id ?? null);

  return (
    <>
      <ul class="message-list" aria-label="Messages" aria-busy={list.status === "loading"}>
        {list.messages.map((message) => (
          <MessageRow
            key={message.id}
            message={message}
            href={linkTo({ ...route, messageId: message.id, tab: null }, props.navigate)}
            open={message.id === route.messageId}
            active={message.id === props.activeId}
            tabStop={message.id === tabStop}
            fresh={list.freshIds.has(message.id)}
            showInbox={route.inbox === null}
            onFocus={props.onActiveChange}
          />
        ))}
      </ul>
      {list.hasMore && (
        <button
          ref={sentinel}
          type="button"
          class="button load-more"
          disabled={list.loadingMore}
          onClick={() => void list.loadMore()}
        >
          {list.loadingMore ? "Loading…" : "Load more"}
        </button>
      )}
    </>
  );
}

interface MessageRowProps {
  message: MessageSummary;
  href: { href: string; onClick(event: MouseEvent): void };
  open: boolean;
  active: boolean;
  tabStop: boolean;
  fresh: boolean;
  showInbox: boolean;
  onFocus(id: string): void;
}

// Rows re-render only when their own message or state changes: a live update to one row in a list
// of thousands touches one row. (`href.onClick` is derived from the same route as `href.href`.)
class MessageRow extends Component<MessageRowProps> {
  override shouldComponentUpdate(next: MessageRowProps): boolean {
    const now = this.props;
    return (
      now.message !== next.message ||
      now.open !== next.open ||
      now.active !== next.active ||
      now.tabStop !== next.tabStop ||
      now.fresh !== next.fresh ||
      now.showInbox !== next.showInbox ||
      now.href.href !== next.href.href
    );
  }

  override render() {
    const { message, href, open, active, tabStop, fresh, showInbox, onFocus } = this.props;
    const badge = message.authSummary ? authBadge(message.authSummary) : null;
    const classes = ["row"];
    if (!message.read) classes.push("unread");
    if (active) classes.push("active");
    if (fresh) classes.push("fresh");
    return (
      <li class="row-item">
        <a
          id={rowElementId(message.id)}
          class={classes.join(" ")}
          href={href.href}
          onClick={href.onClick}
          onFocus={() => onFocus(message.id)}
          tabIndex={tabStop ? 0 : -1}
          aria-current={open ? "true" : undefined}
          data-message-id={message.id}
        >
          <span class="row-top">
            {!message.read && <span class="unread-dot" aria-hidden="true" />}
            <span class="row-from">
              {!message.read && <span class="visually-hidden">Unread. </span>}
              {senderLabel(message.from, message.mailFrom)}
            </span>
            {message.attachmentCount > 0 && <PaperclipIcon class="row-clip" label="Has attachments" />}
            {badge && (
              <span class={`row-auth tone-${badge.tone}`} title={badge.title}>
                {badge.label}
              </span>
            )}
            {message.mailFrom === "" && (
              <span
                class="row-duplicate"
                title="Sent with the null sender <>: a bounce, complaint or auto-reply, not mail an app sent"
              >
                report
              </span>
            )}
            {message.duplicateOf !== null && (
              <span class="row-duplicate" title={`Same bytes and envelope as message ${message.duplicateOf}`}>
                duplicate
              </span>
            )}
            <time class="row-date" dateTime={message.receivedAt}>
              {formatListDate(message.receivedAt)}
            </time>
          </span>
          <span class="row-subject">{message.subject || "(no subject)"}</span>
          {message.snippet && <span class="row-snippet">{message.snippet}</span>}
          {showInbox && message.inboxes.length > 0 && (
            <span class="row-inbox">
              <span class="visually-hidden">To </span>
              {message.inboxes.join(", ")}
            </span>
          )}
        </a>
      </li>
    );
  }
}
