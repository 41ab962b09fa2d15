import { useCallback, useEffect, useMemo, useRef, useState } from "preact/hooks";

const VISIBLE_MS = 4000;

export interface ToastState {
  text: string;
  kind: "info" | "error";
  /** Changes for every toast, so the same text twice is announced twice. */
  serial: number;
}

/** Short confirmations and errors ("Message deleted"), announced politely to screen readers. */
export function useToast() {
  const [state, setState] = useState<ToastState | null>(null);
  const serial = useRef(0);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);

  const present = useCallback((text: string, kind: ToastState["kind"]) => {
    serial.current += 1;
    setState({ text, kind, serial: serial.current });
    if (timer.current) clearTimeout(timer.current);
    timer.current = setTimeout(() => setState(null), VISIBLE_MS);
  }, []);
  useEffect(() => () => void (timer.current && clearTimeout(timer.current)), []);

  return useMemo(
    () => ({
      state,
      show: (text: string) => present(text, "info"),
      /** A rejection handler: `promise.catch(toast.error("Could not …"))`. */
      error: (prefix: string) => (error: unknown) =>
        present(`${prefix}: ${error instanceof Error ? error.message : String(error)}`, "error"),
    }),
    [state, present],
  );
}

export function Toast({ state }: { state: ToastState | null }) {
  return (
    <div class="toast-region" role="status" aria-live="polite">
      {state && (
        <div key={state.serial} class={`toast toast-${state.kind}`}>
          {state.text}
        </div>
      )}
    </div>
  );
}
