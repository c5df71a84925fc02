package dev.mirrordide.core.api;

import dev.mirrordide.core.lsp.ErrorKind;
import dev.mirrordide.core.lsp.ResponseErrorException;

/**
 * A {@code mirrord/*} request failed: the contract's error kind, a user-facing message and an
 * optional hint. Also used when the server answered something this client cannot read.
 */
public final class MirrordRequestException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final ErrorKind kind;
  private final String hint;
  private final boolean methodNotFound;

  public MirrordRequestException(ErrorKind kind, String message, String hint, boolean methodNotFound, Throwable cause) {
    super(message, cause);
    this.kind = kind;
    this.hint = hint;
    this.methodNotFound = methodNotFound;
  }

  static MirrordRequestException from(String method, ResponseErrorException e) {
    return new MirrordRequestException(e.kind(), e.userMessage(), e.hint(), e.isMethodNotFound(), e);
  }

  public ErrorKind kind() {
    return kind;
  }

  public String hint() {
    return hint;
  }

  /** The server does not implement the request (an older server). */
  public boolean isMethodNotFound() {
    return methodNotFound;
  }

  /** Message plus hint, for a notification balloon. */
  public String describe() {
    return hint == null || hint.isBlank() ? getMessage() : getMessage() + "\n" + hint;
  }
}
