import type { ComponentChildren } from "preact";
import type { Address, StoredMessage } from "../../api/types.js";
import { formatAddress, formatFullDate, formatSize } from "../../state/format.js";

/**
 * The SMTP envelope beside the header fields (they can differ: Bcc, bounces, mailing lists), the
 * session facts (TLS, AUTH), then every header line in order.
 */
export function HeadersTab({ message }: { message: StoredMessage }) {
  const { envelope } = message;
  const headerRecipients = [...message.to, ...message.cc];
  const fromDiffers =
    envelope.mailFrom !== "" &&
    !message.from.some((address) => sameMailbox(address.address, envelope.mailFrom));
  const tls = envelope.tls;

  return (
    <div class="headers-tab">
      <section aria-labelledby="envelope-heading">
        <h3 id="envelope-heading" class="section-heading">
          Envelope and headers
        </h3>
        <div class="table-scroll">
          <table class="data-table compare-table">
            <colgroup>
              <col class="field-column" />
              <col />
              <col />
            </colgroup>
            <thead>
              <tr>
                <th scope="col">
                  <span class="visually-hidden">Field</span>
                </th>
                <th scope="col">Header</th>
                <th scope="col">SMTP envelope</th>
              </tr>
            </thead>
            <tbody>
              <tr>
                <th scope="row">From</th>
                <td>
                  <AddressLines addresses={message.from} empty="(no From header)" />
                </td>
                <td>
                  <span class="envelope-label">MAIL FROM</span>
                  <code>{envelope.mailFrom === "" ? "<>" : envelope.mailFrom}</code>
                  {fromDiffers && <span class="tag warn">differs</span>}
                </td>
              </tr>
              <tr>
                <th scope="row">To</th>
                <td>
                  <AddressLines addresses={headerRecipients} empty="(no To or Cc header)" />
                </td>
                <td>
                  <span class="envelope-label">RCPT TO</span>
                  <ul class="plain-list">
                    {envelope.rcptTo.map((recipient) => (
                      <li key={recipient}>
                        <code>{recipient}</code>
                        {!headerRecipients.some((address) => sameMailbox(address.address, recipient)) && (
                          <span class="tag">not in To/Cc</span>
                        )}
                      </li>
                    ))}
                  </ul>
                </td>
              </tr>
            </tbody>
          </table>
        </div>
        <dl class="facts">
          <Fact term="Received">{formatFullDate(envelope.receivedAt)}</Fact>
          <Fact term="Client">
            <code>{envelope.remoteAddress}</code> <span class="muted">HELO</span>{" "}
            <code>{envelope.heloName}</code>
          </Fact>
          <Fact term="TLS">
            {tls ? (
              <>
                {tls.protocol} <code>{tls.cipher}</code>{" "}
                <span class="muted">{tls.implicit ? "implicit TLS" : "STARTTLS"}</span>
              </>
            ) : (
              <span class="muted">none (plain text)</span>
            )}
          </Fact>
          <Fact term="Auth user">
            {envelope.authUser === null ? (
              <span class="muted">not authenticated</span>
            ) : (
              <code>{envelope.authUser}</code>
            )}
          </Fact>
          <Fact term="Size">{formatSize(message.size)}</Fact>
          <Fact term="Message-ID">
            {message.messageId ? <code>{message.messageId}</code> : <span class="muted">none</span>}
          </Fact>
          <Fact term="SHA-256">
            <code class="hash">{message.sha256}</code>
          </Fact>
          {message.parseError && (
            <Fact term="Parse error">
              <span class="tag warn">{message.parseError}</span>
            </Fact>
          )}
        </dl>
      </section>
      <section aria-labelledby="all-headers-heading">
        <h3 id="all-headers-heading" class="section-heading">
          All headers <span class="muted">({message.headers.length})</span>
        </h3>
        <div class="table-scroll">
          <table class="data-table headers-table">
            <thead class="visually-hidden">
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Value</th>
              </tr>
            </thead>
            <tbody>
              {message.headers.map((header, index) => (
                <tr key={index}>
                  <th scope="row" class="header-name">
                    {header.name}
                  </th>
                  <td class="header-value">{header.value}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
    </div>
  );
}

function Fact({ term, children }: { term: string; children: ComponentChildren }) {
  return (
    <div class="fact">
      <dt>{term}</dt>
      <dd>{children}</dd>
    </div>
  );
}

function AddressLines({ addresses, empty }: { addresses: readonly Address[]; empty: string }) {
  if (addresses.length === 0) return <span class="muted">{empty}</span>;
  return (
    <ul class="plain-list">
      {addresses.map((address, index) => (
        <li key={index}>{formatAddress(address)}</li>
      ))}
    </ul>
  );
}

function sameMailbox(a: string, b: string): boolean {
  return a.trim().toLowerCase() === b.trim().toLowerCase();
}
