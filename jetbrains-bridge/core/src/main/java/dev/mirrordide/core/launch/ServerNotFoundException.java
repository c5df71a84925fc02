package dev.mirrordide.core.launch;

/** No way to start {@code mirrord-ide} was found; the message says what to install or set. */
public final class ServerNotFoundException extends Exception {
  private static final long serialVersionUID = 1L;

  public ServerNotFoundException(String message) {
    super(message);
  }
}
