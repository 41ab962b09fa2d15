import type { Link } from "../../api/types.js";
import { isSafeLinkHref } from "../../render/url-kinds.js";

/** Every link in the message with its text. Only http(s)/mailto/tel hrefs are clickable here. */
export function LinksTab({ links }: { links: Link[] }) {
  if (links.length === 0) return <p class="tab-message">This message has no links.</p>;
  return (
    <div class="table-scroll">
      <table class="data-table links-table">
        <caption class="visually-hidden">Links in this message</caption>
        <thead>
          <tr>
            <th scope="col">Text</th>
            <th scope="col">Address</th>
            <th scope="col">Found in</th>
          </tr>
        </thead>
        <tbody>
          {links.map((link, index) => (
            <tr key={index}>
              <td class="link-text">{link.text || <span class="muted">(no text)</span>}</td>
              <td class="link-href">
                {isSafeLinkHref(link.href) ? (
                  <a href={link.href} target="_blank" rel="noopener noreferrer">
                    {link.href}
                  </a>
                ) : (
                  <>
                    <code>{link.href}</code> <span class="tag warn">not opened</span>
                  </>
                )}
              </td>
              <td>{link.source === "html" ? "HTML" : "Text"}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
