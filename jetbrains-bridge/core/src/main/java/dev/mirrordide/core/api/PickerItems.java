package dev.mirrordide.core.api;

import java.util.List;

/** Result of {@code mirrord/targetPickerItems}. */
public record PickerItems(String namespace, boolean skipDialog, String preselected, List<PickerItem> items) {
  public PickerItems {
    items = items == null ? List.of() : List.copyOf(items);
  }
}
