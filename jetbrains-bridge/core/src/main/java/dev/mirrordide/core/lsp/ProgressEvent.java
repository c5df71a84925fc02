package dev.mirrordide.core.lsp;

/**
 * One LSP work-done progress value ({@code $/progress}). {@code kind} is begin, report or end;
 * the other fields are null when the server left them out.
 */
public record ProgressEvent(
    String token, Kind kind, String title, String message, Integer percentage, Boolean cancellable) {

  public enum Kind {
    BEGIN,
    REPORT,
    END
  }

  /** A line for a progress indicator: the message, else the title. */
  public String text() {
    if (message != null && !message.isBlank()) {
      return message;
    }
    return title == null ? "" : title;
  }
}
