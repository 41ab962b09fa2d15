import { CheckIcon, TrashIcon } from "./icons.js";

interface ListHeaderProps {
  inbox: string | null;
  count: number;
  /** Unread messages in the view; while searching, among those found (what the button marks). */
  unread: number;
  searching: boolean;
  shown: number;
  more: boolean;
  busy: boolean;
  onMarkAllRead(): void;
  onClear(): void;
}

export function ListHeader(props: ListHeaderProps) {
  const mark = props.searching ? "Mark found read" : "Mark all read";
  const summary = props.searching
    ? `${props.shown}${props.more ? "+" : ""} found`
    : `${props.count} ${props.count === 1 ? "message" : "messages"}${props.unread > 0 ? ` · ${props.unread} unread` : ""}`;
  return (
    <div class="list-header">
      <div class="list-title">
        <h2 id="list-title" title={props.inbox ?? undefined}>
          {props.inbox ?? "All mail"}
        </h2>
        <p class="list-summary" aria-live="polite">
          {summary}
        </p>
      </div>
      <div class="list-actions">
        <button
          type="button"
          class="button ghost small"
          onClick={props.onMarkAllRead}
          disabled={props.unread === 0}
          title={props.searching ? "Mark the messages found read (no others)" : "Mark all read"}
          aria-label={mark}
        >
          <CheckIcon /> <span aria-hidden="true">{mark}</span>
        </button>
        <button
          type="button"
          class="button ghost small danger"
          onClick={props.onClear}
          disabled={props.count === 0}
          title={props.inbox ? "Delete every message in this inbox" : "Delete all mail"}
          aria-label={props.inbox ? "Clear inbox" : "Delete all"}
        >
          <TrashIcon /> <span aria-hidden="true">{props.inbox ? "Clear inbox" : "Delete all"}</span>
        </button>
      </div>
      {props.busy && <div class="progress" aria-hidden="true" />}
    </div>
  );
}
