import { useEffect, useRef } from "preact/hooks";

/**
 * A native <dialog> shown as a modal while `open` holds: the browser traps focus, makes the page
 * behind it inert and restores focus when it closes.
 */
export function useModal(open: boolean) {
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const element = dialog.current;
    if (!element) return;
    if (open && !element.open) element.showModal();
    if (!open && element.open) element.close();
  }, [open]);
  return dialog;
}
