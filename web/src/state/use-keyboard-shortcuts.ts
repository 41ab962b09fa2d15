import { useEffect, useRef } from "preact/hooks";

export interface ShortcutHandlers {
  /** j / ↓ */
  next(): void;
  /** k / ↑ */
  previous(): void;
  /** Enter on the list cursor */
  open(): void;
  /** Delete */
  remove(): void;
  /** / */
  focusSearch(): void;
  /** Escape */
  close(): void;
}

/**
 * Mail-client keys, active whenever the user is not typing and no dialog is open. Arrow keys are
 * left alone inside the message pane, where they scroll.
 */
export function useKeyboardShortcuts(handlers: ShortcutHandlers): void {
  const current = useRef(handlers);
  current.current = handlers;

  useEffect(() => {
    const onKeyDown = (event: KeyboardEvent) => {
      if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
      if (document.querySelector("dialog[open]")) return;
      const target = event.target instanceof Element ? event.target : null;
      if (target && isEditable(target)) return;
      const inMessage = target?.closest(".message-pane") !== null && target !== null;
      const on = current.current;
      let handled = true;
      switch (event.key) {
        case "j":
          on.next();
          break;
        case "k":
          on.previous();
          break;
        case "ArrowDown":
          if (inMessage) handled = false;
          else on.next();
          break;
        case "ArrowUp":
          if (inMessage) handled = false;
          else on.previous();
          break;
        case "Enter":
          // Links and buttons activate themselves.
          if (target?.closest("a, button, summary")) handled = false;
          else on.open();
          break;
        case "Delete":
          on.remove();
          break;
        case "/":
          on.focusSearch();
          break;
        case "Escape":
          on.close();
          break;
        default:
          handled = false;
      }
      if (handled) event.preventDefault();
    };
    document.addEventListener("keydown", onKeyDown);
    return () => document.removeEventListener("keydown", onKeyDown);
  }, []);
}

function isEditable(element: Element): boolean {
  if (element instanceof HTMLInputElement || element instanceof HTMLTextAreaElement) return true;
  if (element instanceof HTMLSelectElement) return true;
  return element instanceof HTMLElement && element.isContentEditable;
}
