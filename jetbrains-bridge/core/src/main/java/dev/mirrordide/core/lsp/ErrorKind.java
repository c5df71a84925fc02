package dev.mirrordide.core.lsp;

import java.util.Locale;

/** The contract's {@code data.kind} of a failed {@code mirrord/*} request. */
public enum ErrorKind {
  UNREACHABLE("unreachable"),
  UNAUTHORIZED("unauthorized"),
  FORBIDDEN("forbidden"),
  NOT_FOUND("not-found"),
  INVALID_CONFIG("invalid-config"),
  TIMEOUT("timeout"),
  CONFLICT("conflict"),
  CANCELLED("cancelled"),
  /** No {@code data.kind}, or one this client does not know (the contract may add kinds). */
  UNKNOWN("unknown");

  private final String wireName;

  ErrorKind(String wireName) {
    this.wireName = wireName;
  }

  public String wireName() {
    return wireName;
  }

  public static ErrorKind fromWire(String name) {
    if (name == null) {
      return UNKNOWN;
    }
    String n = name.toLowerCase(Locale.ROOT);
    for (ErrorKind k : values()) {
      if (k.wireName.equals(n)) {
        return k;
      }
    }
    return UNKNOWN;
  }
}
