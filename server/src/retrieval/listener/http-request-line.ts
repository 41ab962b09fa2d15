/**
 * Whether a line is an HTTP request line (`POST / HTTP/1.1`). A web page can make a browser send an
 * HTTP request to any port, and its body to a line-based server reads as commands: a form posted to
 * the IMAP port could log in as the catch-all and expunge every message (cross-protocol request
 * forgery). Browsers always send the request line first, so a session whose first line is one is
 * closed before anything else it sent is read, as Dovecot does.
 */
export function isHttpRequestLine(line: string): boolean {
  return HTTP_REQUEST_LINE.test(line);
}

const HTTP_REQUEST_LINE = /^[A-Z]+ \S+ HTTP\/\d(?:\.\d)?$/;
