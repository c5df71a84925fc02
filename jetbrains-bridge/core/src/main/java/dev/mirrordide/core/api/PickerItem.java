package dev.mirrordide.core.api;

/**
 * One item of {@code mirrord/targetPickerItems}. {@code kind} is target, targetless, namespace,
 * separator or message. {@code available} and {@code reason} are optional additions: when the
 * server sends them, unavailable targets are shown disabled with the reason.
 */
public record PickerItem(
    String label,
    String description,
    String detail,
    String kind,
    String path,
    String namespace,
    Boolean available,
    String reason) {

  public static final String TARGET = "target";
  public static final String TARGETLESS = "targetless";
  public static final String NAMESPACE = "namespace";
  public static final String SEPARATOR = "separator";
  public static final String MESSAGE = "message";
  public static final String TARGETLESS_LABEL = "No Target (\"targetless\")";

  public static PickerItem targetless(String namespace) {
    return new PickerItem(TARGETLESS_LABEL, null, null, TARGETLESS, null, namespace, true, null);
  }
}
