package dev.mirrordide.core.picker;

/**
 * One row of the target dialog. Only enabled targets, the targetless row and namespace rows are
 * selectable; messages and unavailable targets are shown with their reason.
 */
public record PickerEntry(
    Kind kind,
    String label,
    String description,
    String detail,
    String path,
    String namespace,
    boolean enabled,
    String reason,
    boolean recent) {

  public enum Kind {
    TARGET,
    TARGETLESS,
    NAMESPACE,
    MESSAGE
  }

  public boolean selectable() {
    return enabled && kind != Kind.MESSAGE;
  }

  PickerEntry asRecent() {
    return new PickerEntry(kind, label, description, detail, path, namespace, enabled, reason, true);
  }

  /** Case-insensitive match on label, description and path (the dialog's filter box). */
  public boolean matches(String filter) {
    if (filter == null || filter.isBlank()) {
      return true;
    }
    String f = filter.trim().toLowerCase(java.util.Locale.ROOT);
    return contains(label, f) || contains(description, f) || contains(path, f) || contains(detail, f);
  }

  private static boolean contains(String s, String f) {
    return s != null && s.toLowerCase(java.util.Locale.ROOT).contains(f);
  }
}
