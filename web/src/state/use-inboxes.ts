import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { getHealth, listInboxes } from "../api/mailnest-api.js";
import type { InboxInfo } from "../api/types.js";
import { CoalescedTask } from "./coalesced-task.js";
import type { LiveFeed } from "./live-feed.js";

export interface InboxesState {
  inboxes: InboxInfo[];
  /** Messages in the store (a message to two inboxes counts once). */
  totalMessages: number;
  /** Unread messages across all inboxes, each counted once (the server's count). */
  totalUnread: number;
  smtpPort: number | null;
  loaded: boolean;
  error: unknown;
  refresh(): void;
}

/** The sidebar's data: every inbox with counts, kept fresh by any message or inbox event. */
export function useInboxes(feed: LiveFeed): InboxesState {
  const [inboxes, setInboxes] = useState<InboxInfo[]>([]);
  const [totalMessages, setTotalMessages] = useState(0);
  const [totalUnread, setTotalUnread] = useState(0);
  const [smtpPort, setSmtpPort] = useState<number | null>(null);
  const [loaded, setLoaded] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const taskRef = useRef<CoalescedTask | null>(null);

  useEffect(() => {
    const task = new CoalescedTask(async () => {
      try {
        const [list, health] = await Promise.all([listInboxes(), getHealth()]);
        setInboxes(list);
        setTotalMessages(health.messages);
        setTotalUnread(health.unread);
        setSmtpPort(health.smtp.port);
        setLoaded(true);
        setError(null);
      } catch (failure) {
        setError(failure);
      }
    }, 80);
    taskRef.current = task;
    task.schedule(0);
    const unsubscribe = feed.subscribe((signal) => {
      if (signal.kind === "connected" || signal.event.type !== "heartbeat") task.schedule();
    });
    return () => {
      unsubscribe();
      task.dispose();
    };
  }, [feed]);

  const refresh = useCallback(() => taskRef.current?.schedule(), []);
  // Not the sum of the inboxes' counts: a message to two inboxes is unread in both.
  return { inboxes, totalMessages, totalUnread, smtpPort, loaded, error, refresh };
}
