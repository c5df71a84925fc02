package dev.mirrordide.core.picker;

/** The last choice for a run configuration: a target path, or null for targetless, in a namespace. */
public record RecentChoice(String namespace, String target) {
  public boolean isTargetless() {
    return target == null;
  }
}
