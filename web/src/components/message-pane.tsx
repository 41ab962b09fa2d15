import type { Tab } from "../state/route.js";
import type { MessageState } from "../state/use-message.js";
import { MessageView } from "./message-view.js";

interface MessagePaneProps {
  state: MessageState;
  tab: Tab | null;
  onTabChange(tab: Tab): void;
  backHref: string;
  onBack(): void;
  onDelete(): void;
  onToggleRead(): void;
  remoteAllowed: boolean;
  onAllowRemote(): void;
  hasMessages: boolean;
}

export function MessagePane(props: MessagePaneProps) {
  const { state } = props;
  switch (state.status) {
    case "none":
      return <Placeholder hasMessages={props.hasMessages} />;
    case "loading":
      return <p class="pane-message">Loading message…</p>;
    case "gone":
      return (
        <div class="pane-message">
          <p>This message no longer exists (it was deleted or expired).</p>
          <a
            class="button"
            href={props.backHref}
            onClick={(event) => {
              event.preventDefault();
              props.onBack();
            }}
          >
            Back to the list
          </a>
        </div>
      );
    case "error":
      return (
        <p class="pane-message" role="alert">
          Could not load the message:{" "}
          {state.error instanceof Error ? state.error.message : String(state.error)}
        </p>
      );
    case "ready":
      return (
        <MessageView
          message={state.message}
          tab={props.tab}
          onTabChange={props.onTabChange}
          onBack={props.onBack}
          backHref={props.backHref}
          onDelete={props.onDelete}
          onToggleRead={props.onToggleRead}
          remoteAllowed={props.remoteAllowed}
          onAllowRemote={props.onAllowRemote}
        />
      );
  }
}

const SHORTCUTS: Array<[string[], string]> = [
  [["j", "↓"], "next message"],
  [["k", "↑"], "previous message"],
  [["Enter"], "open"],
  [["Delete"], "delete"],
  [["/"], "search"],
  [["Esc"], "back to the list"],
];

function Placeholder({ hasMessages }: { hasMessages: boolean }) {
  return (
    <div class="pane-placeholder">
      <p class="pane-placeholder-title">{hasMessages ? "Select a message to read it" : "Waiting for mail"}</p>
      <dl class="shortcuts" aria-label="Keyboard shortcuts">
        {SHORTCUTS.map(([keys, action]) => (
          <div key={action}>
            <dt>
              {keys.map((key) => (
                <kbd key={key}>{key}</kbd>
              ))}
            </dt>
            <dd>{action}</dd>
          </div>
        ))}
      </dl>
    </div>
  );
}
