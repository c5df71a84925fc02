package dev.mirrordide.core.picker;

import dev.mirrordide.core.api.MirrordRequestException;
import dev.mirrordide.core.api.PickerItems;
import java.util.Map;
import java.util.Objects;

/**
 * Decides the target before a run: the env's {@code MIRRORD_IMPERSONATED_TARGET} or a config that
 * names the target skips the dialog; otherwise the dialog is shown, namespace rows reload it, and
 * the final choice is remembered per run configuration, kube context and namespace: the list of a
 * namespace offers first what was last chosen there for this run configuration on this cluster.
 * Blocking: run it off the UI thread.
 */
public final class TargetPickerFlow {
  /** Namespace switches allowed in one run, so a confused view cannot loop forever. */
  static final int MAX_SWITCHES = 50;

  /** Blocking fetch of picker items for a namespace (null: the server's default). */
  @FunctionalInterface
  public interface ItemSource {
    PickerItems fetch(String namespace) throws MirrordRequestException;
  }

  private final ItemSource source;
  private final PickerView view;
  private final RecentChoices recent;
  private final String context;

  /** A flow whose recent choices are not told apart by cluster (the context is unknown). */
  public TargetPickerFlow(ItemSource source, PickerView view, RecentChoices recent) {
    this(source, view, recent, null);
  }

  /**
   * @param context the kube context the items come from (see {@code KubeContext}); null when
   *     unknown
   */
  public TargetPickerFlow(ItemSource source, PickerView view, RecentChoices recent, String context) {
    this.source = Objects.requireNonNull(source);
    this.view = Objects.requireNonNull(view);
    this.recent = Objects.requireNonNull(recent);
    this.context = context;
  }

  /**
   * @param runConfigKey identifies the run configuration for the recent choice
   * @param debuggeeEnv the env the debuggee would get (its {@code MIRRORD_*} values win)
   */
  public PickerOutcome run(String runConfigKey, Map<String, String> debuggeeEnv) {
    String envTarget = blankToNull(debuggeeEnv.get("MIRRORD_IMPERSONATED_TARGET"));
    String namespace = blankToNull(debuggeeEnv.get("MIRRORD_TARGET_NAMESPACE"));
    if (envTarget != null) {
      return new PickerOutcome.Preset(
          "targetless".equals(envTarget) ? null : envTarget, namespace, "MIRRORD_IMPERSONATED_TARGET");
    }
    for (int i = 0; i <= MAX_SWITCHES; i++) {
      PickerDialogModel model;
      String shown = namespace;
      try {
        PickerItems items = source.fetch(namespace);
        if (items.skipDialog()) {
          String pre = items.preselected();
          return new PickerOutcome.Preset("targetless".equals(pre) ? null : pre, items.namespace(), "config");
        }
        shown = items.namespace();
        model = PickerDialogModel.build(items, recent.get(new RecentChoiceKey(runConfigKey, context, shown)));
      } catch (MirrordRequestException e) {
        model = PickerDialogModel.unavailable(namespace, "Could not list targets: " + e.describe());
      }
      PickerOutcome outcome = view.show(model);
      if (outcome == null || outcome instanceof PickerOutcome.Cancelled) {
        return new PickerOutcome.Cancelled();
      }
      if (outcome instanceof PickerOutcome.SwitchNamespace sw) {
        namespace = sw.namespace();
        continue;
      }
      if (outcome instanceof PickerOutcome.Selected sel) {
        // Remembered for the namespace the target lives in (an item may come from another one).
        String chosenIn = sel.namespace() != null ? sel.namespace() : shown;
        recent.put(new RecentChoiceKey(runConfigKey, context, chosenIn), new RecentChoice(chosenIn, sel.target()));
      }
      return outcome;
    }
    return new PickerOutcome.Cancelled();
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s.trim();
  }
}
