package dev.mirrordide.core.picker;

/** What the target dialog (or the flow around it) decided. */
public sealed interface PickerOutcome {
  /** The user chose a target ({@code target} non-null) or targetless ({@code target} null). */
  record Selected(String target, String namespace) implements PickerOutcome {
    public boolean isTargetless() {
      return target == null;
    }
  }

  /**
   * No dialog: the run configuration's env or the config file already names the target; the
   * session is started without target/namespace params so the server applies them.
   * {@code target} is informational (null for targetless or unknown).
   */
  record Preset(String target, String namespace, String source) implements PickerOutcome {}

  /** The user wants the list of another namespace. */
  record SwitchNamespace(String namespace) implements PickerOutcome {}

  /** Cancel or Esc: the run is aborted, never silently continued targetless. */
  record Cancelled() implements PickerOutcome {}
}
