export function TextTab({ text }: { text: string | null }) {
  if (text === null) return <p class="tab-message">This message has no plain-text part.</p>;
  return <pre class="text-body">{text}</pre>;
}
