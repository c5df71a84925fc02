package dev.mirrordide.core.picker;

import java.util.List;

/** A titled group of rows (the server's separators); {@code title} is null for the untitled head. */
public record PickerSection(String title, List<PickerEntry> entries) {
  public PickerSection {
    entries = List.copyOf(entries);
  }
}
