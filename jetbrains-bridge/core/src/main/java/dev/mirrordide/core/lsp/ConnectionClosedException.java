package dev.mirrordide.core.lsp;

/** The server went away (exited, closed its stdout, or the client was closed) before answering. */
public final class ConnectionClosedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public ConnectionClosedException(String message, Throwable cause) {
    super(message, cause);
  }
}
