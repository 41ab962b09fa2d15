/** The TLS certificate or key cannot be used (missing file, not PEM, key and certificate do not match). */
export class TlsCertificateError extends Error {
  override name = "TlsCertificateError" as const;
}

export function isTlsCertificateError(error: unknown): error is TlsCertificateError {
  return error instanceof TlsCertificateError;
}
