import { useRef } from "preact/hooks";
import { rawDownloadUrl } from "../api/mailnest-api.js";
import type { StoredMessage } from "../api/types.js";
import { formatAddressList, formatFullDate } from "../state/format.js";
import { generatedReportOf, reportLabel } from "../state/generated-report.js";
import type { Tab } from "../state/route.js";
import { formatRoute, HOME } from "../state/route.js";
import { BackIcon, DownloadIcon, TrashIcon } from "./icons.js";
import { AttachmentsTab } from "./tabs/attachments-tab.js";
import { AuthTab } from "./tabs/auth-tab.js";
import { HeadersTab } from "./tabs/headers-tab.js";
import { HtmlTab } from "./tabs/html-tab.js";
import { LinksTab } from "./tabs/links-tab.js";
import { ReleaseTab } from "./tabs/release-tab.js";
import { SourceTab } from "./tabs/source-tab.js";
import { TextTab } from "./tabs/text-tab.js";

interface MessageViewProps {
  message: StoredMessage;
  tab: Tab | null;
  onTabChange(tab: Tab): void;
  onBack(): void;
  backHref: string;
  onDelete(): void;
  onToggleRead(): void;
  remoteAllowed: boolean;
  onAllowRemote(): void;
}

/**
 * Tabs offered for a message: HTML only when there is HTML, Authentication when the server verified
 * it; the rest always (with counts), Release last.
 */
export function availableTabs(message: StoredMessage): Tab[] {
  const tabs: Tab[] = [];
  if (message.html !== null) tabs.push("html");
  tabs.push("text", "source", "headers");
  if (message.authentication) tabs.push("auth");
  tabs.push("links", "attachments", "release");
  return tabs;
}

export function MessageView(props: MessageViewProps) {
  const { message } = props;
  const tabs = availableTabs(message);
  const tab = props.tab && tabs.includes(props.tab) ? props.tab : (tabs[0] ?? "text");
  const tabList = useRef<HTMLDivElement>(null);

  const labels: Record<Tab, string> = {
    html: "HTML",
    text: "Text",
    source: "Source",
    headers: "Headers",
    auth: "Authentication",
    links: `Links (${message.links.length})`,
    attachments: `Attachments (${message.attachments.length})`,
    release: "Release",
  };

  // Arrow keys move between tabs (WAI-ARIA tabs pattern, automatic activation).
  const onTabKeyDown = (event: KeyboardEvent) => {
    const index = tabs.indexOf(tab);
    let next: number | null = null;
    if (event.key === "ArrowRight") next = (index + 1) % tabs.length;
    if (event.key === "ArrowLeft") next = (index - 1 + tabs.length) % tabs.length;
    if (event.key === "Home") next = 0;
    if (event.key === "End") next = tabs.length - 1;
    const target = next === null ? undefined : tabs[next];
    if (!target) return;
    event.preventDefault();
    props.onTabChange(target);
    tabList.current?.querySelector<HTMLElement>(`#tab-${target}`)?.focus();
  };

  const date = message.date ?? message.receivedAt;
  return (
    <article class="message" aria-labelledby="message-subject">
      <header class="message-header">
        <div class="message-toolbar">
          <a
            class="button ghost back-button"
            href={props.backHref}
            onClick={(event) => {
              event.preventDefault();
              props.onBack();
            }}
          >
            <BackIcon /> <span>Back</span>
          </a>
          <span class="toolbar-spacer" />
          <button type="button" class="button ghost" onClick={props.onToggleRead}>
            {message.read ? "Mark unread" : "Mark read"}
          </button>
          <a class="button ghost" href={rawDownloadUrl(message.id)} download={`${message.id}.eml`}>
            <DownloadIcon /> <span class="button-label">.eml</span>
          </a>
          <button type="button" class="button ghost danger" onClick={props.onDelete}>
            <TrashIcon /> <span class="button-label">Delete</span>
          </button>
        </div>
        <GeneratedReportNote message={message} />
        <h1 id="message-subject" class="message-subject">
          {message.subject || <span class="muted">(no subject)</span>}
        </h1>
        <dl class="message-meta">
          <div>
            <dt>From</dt>
            <dd>
              {message.from.length > 0 ? formatAddressList(message.from) : message.mailFrom || "(none)"}
            </dd>
          </div>
          <div>
            <dt>To</dt>
            <dd>{message.to.length > 0 ? formatAddressList(message.to) : message.rcptTo.join(", ")}</dd>
          </div>
          {message.cc.length > 0 && (
            <div>
              <dt>Cc</dt>
              <dd>{formatAddressList(message.cc)}</dd>
            </div>
          )}
          {message.replyTo.length > 0 && (
            <div>
              <dt>Reply-To</dt>
              <dd>{formatAddressList(message.replyTo)}</dd>
            </div>
          )}
          <div>
            <dt>Date</dt>
            <dd>
              <time dateTime={date}>{formatFullDate(date)}</time>
            </dd>
          </div>
        </dl>
      </header>
      <div class="tabs" role="tablist" aria-label="Message views" ref={tabList} onKeyDown={onTabKeyDown}>
        {tabs.map((name) => (
          <button
            key={name}
            id={`tab-${name}`}
            type="button"
            role="tab"
            class="tab"
            aria-selected={name === tab}
            aria-controls={`panel-${name}`}
            tabIndex={name === tab ? 0 : -1}
            onClick={() => props.onTabChange(name)}
          >
            {labels[name]}
          </button>
        ))}
      </div>
      <div
        class={`tab-panel tab-panel-${tab}`}
        id={`panel-${tab}`}
        role="tabpanel"
        aria-labelledby={`tab-${tab}`}
      >
        {tab === "html" && message.html !== null && (
          <HtmlTab
            message={{ ...message, html: message.html }}
            remoteAllowed={props.remoteAllowed}
            onAllowRemote={props.onAllowRemote}
          />
        )}
        {tab === "text" && <TextTab text={message.text} />}
        {tab === "source" && <SourceTab messageId={message.id} size={message.size} />}
        {tab === "headers" && <HeadersTab message={message} />}
        {tab === "auth" && message.authentication && <AuthTab auth={message.authentication} />}
        {tab === "links" && <LinksTab links={message.links} />}
        {tab === "attachments" && <AttachmentsTab messageId={message.id} attachments={message.attachments} />}
        {tab === "release" && <ReleaseTab messageId={message.id} />}
      </div>
    </article>
  );
}

/** A message Mailnest made after accepting another one (a DSN, complaint or auto-reply) says so. */
function GeneratedReportNote({ message }: { message: StoredMessage }) {
  const report = generatedReportOf(message.headers);
  if (report === null) return null;
  return (
    <p class="report-note">
      <span class="tag">{reportLabel(report)}</span> made by Mailnest for {report.origin}
      {report.originalId && (
        <>
          {" "}
          about <a href={formatRoute({ ...HOME, messageId: report.originalId })}>the original message</a>
        </>
      )}
      .
    </p>
  );
}
