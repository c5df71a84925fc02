package dev.mirrordide.core.api;

import java.util.List;

/** Result of {@code mirrord/listTargets}, in the server's order. */
public record TargetList(String namespace, List<Target> targets) {
  public TargetList {
    targets = targets == null ? List.of() : List.copyOf(targets);
  }
}
