import type { Ref } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { SEARCH_FIELDS, type SearchField } from "../state/route.js";
import { SearchIcon } from "./icons.js";

/** How long typing must pause before the list is re-queried. */
const DEBOUNCE_MS = 200;

const FIELD_LABELS: Record<SearchField, string> = {
  subject: "Subject",
  from: "From",
  to: "To",
  text: "Body",
};

interface SearchBoxProps {
  query: string;
  field: SearchField;
  onChange(query: string, field: SearchField): void;
  inputRef: Ref<HTMLInputElement>;
}

/** Search as you type: the box echoes at once, the (server-side) query follows after a short pause. */
export function SearchBox({ query, field, onChange, inputRef }: SearchBoxProps) {
  const [draft, setDraft] = useState(query);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);

  // The route can change under us (back button, deep link): follow it unless the user is mid-typing.
  useEffect(() => {
    if (!timer.current) setDraft(query);
  }, [query]);
  useEffect(() => () => clearTimer(timer), []);

  const commit = (next: string, nextField: SearchField) => {
    clearTimer(timer);
    onChange(next, nextField);
  };

  return (
    <search class="search">
      <form
        class="search-form"
        onSubmit={(event) => {
          event.preventDefault();
          commit(draft, field);
        }}
      >
        <SearchIcon class="search-icon" />
        <label class="visually-hidden" for="search-input">
          Search messages
        </label>
        <input
          ref={inputRef}
          id="search-input"
          class="search-input"
          type="search"
          placeholder="Search   ( / )"
          autoComplete="off"
          spellcheck={false}
          value={draft}
          aria-describedby="search-help"
          onInput={(event) => {
            const next = event.currentTarget.value;
            setDraft(next);
            clearTimer(timer);
            timer.current = setTimeout(() => {
              timer.current = null;
              onChange(next, field);
            }, DEBOUNCE_MS);
          }}
          onKeyDown={(event) => {
            if (event.key === "Escape") {
              if (draft) commit("", field);
              setDraft("");
              event.currentTarget.blur();
            }
          }}
        />
        <span id="search-help" class="visually-hidden">
          Searches the field chosen next to the box. Narrow further with from:, to:, subject:, text: or
          has:attachment.
        </span>
        <label class="visually-hidden" for="search-field">
          Search in
        </label>
        <select
          id="search-field"
          class="search-field"
          value={field}
          onChange={(event) => commit(draft, event.currentTarget.value as SearchField)}
        >
          {SEARCH_FIELDS.map((name) => (
            <option key={name} value={name}>
              {FIELD_LABELS[name]}
            </option>
          ))}
        </select>
      </form>
    </search>
  );
}

function clearTimer(timer: { current: ReturnType<typeof setTimeout> | null }): void {
  if (timer.current) clearTimeout(timer.current);
  timer.current = null;
}
