package dev.mirrordide.core.lsp;

/** The language server could not be started or did not complete the handshake. */
public final class ServerStartException extends Exception {
  private static final long serialVersionUID = 1L;
  private final String stderrTail;

  public ServerStartException(String message, String stderrTail, Throwable cause) {
    super(message, cause);
    this.stderrTail = stderrTail == null ? "" : stderrTail;
  }

  /** What the server printed to stderr before failing, for a details pane. */
  public String stderrTail() {
    return stderrTail;
  }
}
