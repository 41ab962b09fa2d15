import type { Ref } from "preact";
import type { ConnectionState } from "../api/live-events.js";
import type { SearchField } from "../state/route.js";
import { MenuIcon } from "./icons.js";
import { SearchBox } from "./search-box.js";

interface TopBarProps {
  navOpen: boolean;
  onToggleNav(): void;
  homeHref: string;
  onHome(event: MouseEvent): void;
  query: string;
  field: SearchField;
  onSearch(query: string, field: SearchField): void;
  searchRef: Ref<HTMLInputElement>;
  /** `locked`: the server wants the API token, which the user is being asked for. */
  connection: ConnectionState | "locked";
  /** Opens the webhook delivery log. */
  onWebhooks(): void;
  /** Opens the fault and report rules with their logs. */
  onRules(): void;
}

const CONNECTION_LABELS: Record<ConnectionState | "locked", string> = {
  live: "Live",
  connecting: "Connecting…",
  offline: "Offline, retrying…",
  locked: "Token required",
};

export function TopBar(props: TopBarProps) {
  return (
    <header class="topbar">
      <button
        type="button"
        class="icon-button nav-toggle"
        aria-label="Inboxes"
        aria-expanded={props.navOpen}
        aria-controls="inbox-nav"
        onClick={props.onToggleNav}
      >
        <MenuIcon />
      </button>
      <a class="brand" href={props.homeHref} onClick={props.onHome}>
        <span class="brand-mark" aria-hidden="true" />
        <span class="brand-name">Mailnest</span>
      </a>
      <SearchBox
        query={props.query}
        field={props.field}
        onChange={props.onSearch}
        inputRef={props.searchRef}
      />
      <button type="button" class="button ghost rules-button" onClick={props.onRules}>
        Rules
      </button>
      <button type="button" class="button ghost webhooks-button" onClick={props.onWebhooks}>
        Webhooks
      </button>
      <output class={`connection connection-${props.connection}`} aria-live="polite">
        <span class="connection-dot" aria-hidden="true" />
        <span class="connection-label">{CONNECTION_LABELS[props.connection]}</span>
      </output>
    </header>
  );
}
