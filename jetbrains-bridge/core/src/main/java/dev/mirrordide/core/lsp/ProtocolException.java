package dev.mirrordide.core.lsp;

import java.io.IOException;

/** The peer broke the base protocol (bad header, bad JSON envelope); the connection is unusable. */
public final class ProtocolException extends IOException {
  private static final long serialVersionUID = 1L;

  public ProtocolException(String message) {
    super(message);
  }
}
