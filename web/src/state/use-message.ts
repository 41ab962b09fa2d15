import { useCallback, useEffect, useState } from "preact/hooks";
import { isNotFound } from "../api/http.js";
import { getMessage } from "../api/mailnest-api.js";
import type { MessageSummary, StoredMessage } from "../api/types.js";
import type { LiveFeed } from "./live-feed.js";

export type MessageState =
  | { status: "none" }
  | { status: "loading"; id: string }
  | { status: "ready"; id: string; message: StoredMessage }
  | { status: "gone"; id: string }
  | { status: "error"; id: string; error: unknown };

/** The open message, in full; follows its read flag live and notices when it is deleted. */
export function useMessage(
  feed: LiveFeed,
  id: string | null,
): [MessageState, (summary: MessageSummary) => void] {
  const [state, setState] = useState<MessageState>({ status: "none" });

  useEffect(() => {
    if (!id) {
      setState({ status: "none" });
      return;
    }
    const controller = new AbortController();
    const load = async (quiet: boolean) => {
      if (!quiet) setState({ status: "loading", id });
      try {
        const message = await getMessage(id, controller.signal);
        setState({ status: "ready", id, message });
      } catch (error) {
        if (controller.signal.aborted) return;
        setState(isNotFound(error) ? { status: "gone", id } : { status: "error", id, error });
      }
    };
    void load(false);
    const unsubscribe = feed.subscribe((signal) => {
      if (signal.kind === "connected") {
        if (signal.afterLoss) void load(true);
        return;
      }
      const { event } = signal;
      if (event.type === "message.deleted" && event.data.id === id) setState({ status: "gone", id });
      if (event.type === "message.updated" && event.data.message.id === id) {
        const summary = event.data.message;
        setState((previous) =>
          previous.status === "ready"
            ? { ...previous, message: { ...previous.message, ...summary } }
            : previous,
        );
      }
    });
    return () => {
      unsubscribe();
      controller.abort();
    };
  }, [feed, id]);

  const patch = useCallback((summary: MessageSummary) => {
    setState((previous) =>
      previous.status === "ready" && previous.id === summary.id
        ? { ...previous, message: { ...previous.message, ...summary } }
        : previous,
    );
  }, []);

  return [state, patch];
}
