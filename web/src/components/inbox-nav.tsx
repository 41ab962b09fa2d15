import type { InboxInfo } from "../api/types.js";
import { sameAddress } from "../state/addresses.js";
import { HOME, linkTo, type Navigate, type Route } from "../state/route.js";
import { AllMailIcon, InboxIcon } from "./icons.js";

interface InboxNavProps {
  route: Route;
  navigate: Navigate;
  inboxes: InboxInfo[];
  totalMessages: number;
  totalUnread: number;
  smtpPort: number | null;
  onNavigated(): void;
}

/** The sidebar: "All mail" and every inbox (address, count, unread), most recently active first. */
export function InboxNav(props: InboxNavProps) {
  const { route, navigate } = props;
  const go = (inbox: string | null) => {
    const link = linkTo({ ...HOME, inbox, query: route.query, field: route.field }, navigate);
    return {
      href: link.href,
      onClick(event: MouseEvent) {
        link.onClick(event);
        props.onNavigated();
      },
    };
  };

  return (
    <nav id="inbox-nav" class="inbox-nav" aria-label="Inboxes">
      <ul class="inbox-list">
        <li>
          <a class="inbox-link" {...go(null)} aria-current={route.inbox === null ? "page" : undefined}>
            <AllMailIcon />
            <span class="inbox-name">All mail</span>
            <Counts count={props.totalMessages} unread={props.totalUnread} />
          </a>
        </li>
      </ul>
      <h2 class="nav-heading" id="inbox-heading">
        Inboxes <span class="nav-heading-count">{props.inboxes.length}</span>
      </h2>
      {props.inboxes.length === 0 ? (
        <p class="nav-empty">
          None yet. Mail to any address creates one
          {props.smtpPort !== null && (
            <>
              {" "}
              (SMTP port <strong>{props.smtpPort}</strong>)
            </>
          )}
          .
        </p>
      ) : (
        <ul class="inbox-list" aria-labelledby="inbox-heading">
          {props.inboxes.map((inbox) => (
            <li key={inbox.address}>
              <a
                class="inbox-link"
                {...go(inbox.address)}
                aria-current={
                  route.inbox !== null && sameAddress(route.inbox, inbox.address) ? "page" : undefined
                }
                title={inbox.address}
              >
                <InboxIcon />
                <span class="inbox-name">{inbox.address}</span>
                <Counts count={inbox.messageCount} unread={inbox.unreadCount} />
              </a>
            </li>
          ))}
        </ul>
      )}
    </nav>
  );
}

function Counts({ count, unread }: { count: number; unread: number }) {
  return (
    <span class="inbox-counts">
      {unread > 0 && (
        <span class="badge" title={`${unread} unread`}>
          {unread}
          <span class="visually-hidden"> unread</span>
        </span>
      )}
      <span class="inbox-count" title={`${count} ${count === 1 ? "message" : "messages"}`}>
        {count}
        <span class="visually-hidden"> {count === 1 ? "message" : "messages"}</span>
      </span>
    </span>
  );
}
