package dev.mirrordide.core.picker;

import dev.mirrordide.core.api.PickerItem;
import dev.mirrordide.core.api.PickerItems;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The target dialog's content, built from {@code mirrord/targetPickerItems}: sections in the
 * server's order, a "Recent" section first when the run configuration's last choice is listed,
 * exactly one targetless row (added if the server left it out), unavailable targets disabled with
 * their reason, namespace rows to switch the list, and message rows (e.g. cluster unreachable).
 */
public final class PickerDialogModel {
  public static final String RECENT_TITLE = "Recent";

  private final String namespace;
  private final List<PickerSection> sections;
  private final PickerEntry initial;

  private PickerDialogModel(String namespace, List<PickerSection> sections, PickerEntry initial) {
    this.namespace = namespace;
    this.sections = List.copyOf(sections);
    this.initial = initial;
  }

  public static PickerDialogModel build(PickerItems items, Optional<RecentChoice> recent) {
    String ns = items.namespace();
    List<PickerSection> sections = new ArrayList<>();
    String title = null;
    List<PickerEntry> current = new ArrayList<>();
    PickerEntry recentEntry = null;
    boolean haveTargetless = false;
    for (PickerItem item : items.items()) {
      if (PickerItem.SEPARATOR.equals(item.kind())) {
        flush(sections, title, current);
        title = item.label();
        current = new ArrayList<>();
        continue;
      }
      PickerEntry entry = toEntry(item, ns);
      if (entry == null) {
        continue;
      }
      if (entry.kind() == PickerEntry.Kind.TARGETLESS) {
        if (haveTargetless) {
          continue; // the contract promises exactly one
        }
        haveTargetless = true;
      }
      if (recentEntry == null && recent.isPresent() && isRecent(entry, recent.get(), ns)) {
        recentEntry = entry.asRecent();
        continue; // shown once, in the Recent section
      }
      current.add(entry);
    }
    flush(sections, title, current);
    if (!haveTargetless) {
      PickerEntry targetless = toEntry(PickerItem.targetless(ns), ns);
      if (recentEntry == null && recent.isPresent() && isRecent(targetless, recent.get(), ns)) {
        recentEntry = targetless.asRecent();
      } else {
        sections.add(new PickerSection(null, List.of(targetless)));
      }
    }
    PickerEntry initial = null;
    if (recentEntry != null) {
      sections.add(0, new PickerSection(RECENT_TITLE, List.of(recentEntry)));
      initial = recentEntry;
    } else if (items.preselected() != null) {
      initial = findByPath(sections, items.preselected());
    }
    return new PickerDialogModel(ns, sections, initial);
  }

  /** A dialog for when the list could not be fetched at all: targetless and the reason. */
  public static PickerDialogModel unavailable(String namespace, String reason) {
    PickerItem message = new PickerItem(reason, null, null, PickerItem.MESSAGE, null, namespace, false, reason);
    return build(new PickerItems(namespace, false, null, List.of(message, PickerItem.targetless(namespace))), Optional.empty());
  }

  private static void flush(List<PickerSection> sections, String title, List<PickerEntry> entries) {
    if (!entries.isEmpty()) {
      sections.add(new PickerSection(title, entries));
    }
  }

  private static PickerEntry toEntry(PickerItem item, String modelNamespace) {
    String kind = item.kind() == null ? PickerItem.TARGET : item.kind();
    String ns = item.namespace() != null ? item.namespace() : modelNamespace;
    String label = item.label() == null ? "" : item.label();
    switch (kind) {
      case PickerItem.TARGETLESS:
        return new PickerEntry(PickerEntry.Kind.TARGETLESS, label.isEmpty() ? PickerItem.TARGETLESS_LABEL : label,
            item.description(), item.detail(), null, ns, true, null, false);
      case PickerItem.NAMESPACE:
        return new PickerEntry(PickerEntry.Kind.NAMESPACE, label, item.description(), item.detail(), null,
            item.namespace(), item.namespace() != null, null, false);
      case PickerItem.MESSAGE:
        return new PickerEntry(PickerEntry.Kind.MESSAGE, label, item.description(), item.detail(), null, ns, false,
            item.reason(), false);
      case PickerItem.TARGET: {
        boolean available = item.available() == null || item.available();
        boolean hasPath = item.path() != null && !item.path().isBlank();
        String reason = item.reason();
        if (!hasPath && reason == null) {
          reason = "no target path";
        }
        return new PickerEntry(PickerEntry.Kind.TARGET, label, item.description(), item.detail(), item.path(), ns,
            available && hasPath, available && hasPath ? null : reason, false);
      }
      default:
        return null; // a kind this client does not know: skip it rather than guess
    }
  }

  private static boolean isRecent(PickerEntry entry, RecentChoice recent, String namespace) {
    if (recent.namespace() != null && !recent.namespace().equals(entry.namespace() != null ? entry.namespace() : namespace)) {
      return false;
    }
    if (recent.isTargetless()) {
      return entry.kind() == PickerEntry.Kind.TARGETLESS;
    }
    return entry.kind() == PickerEntry.Kind.TARGET && entry.selectable() && recent.target().equals(entry.path());
  }

  private static PickerEntry findByPath(List<PickerSection> sections, String path) {
    for (PickerSection s : sections) {
      for (PickerEntry e : s.entries()) {
        if (e.selectable() && ("targetless".equals(path) ? e.kind() == PickerEntry.Kind.TARGETLESS : path.equals(e.path()))) {
          return e;
        }
      }
    }
    return null;
  }

  public String namespace() {
    return namespace;
  }

  public List<PickerSection> sections() {
    return sections;
  }

  /** Sections with only the rows matching {@code filter}; the targetless row is always kept. */
  public List<PickerSection> filtered(String filter) {
    List<PickerSection> out = new ArrayList<>();
    for (PickerSection s : sections) {
      List<PickerEntry> kept = s.entries().stream()
          .filter(e -> e.kind() == PickerEntry.Kind.TARGETLESS || e.kind() == PickerEntry.Kind.MESSAGE || e.matches(filter))
          .toList();
      if (!kept.isEmpty()) {
        out.add(new PickerSection(s.title(), kept));
      }
    }
    return out;
  }

  public List<PickerEntry> entries() {
    return sections.stream().flatMap(s -> s.entries().stream()).toList();
  }

  public PickerEntry targetless() {
    return entries().stream().filter(e -> e.kind() == PickerEntry.Kind.TARGETLESS).findFirst().orElseThrow();
  }

  /** The row to focus when the dialog opens: the recent choice, else the server's preselection. */
  public Optional<PickerEntry> initialSelection() {
    return Optional.ofNullable(initial);
  }

  public List<PickerEntry> messages() {
    return entries().stream().filter(e -> e.kind() == PickerEntry.Kind.MESSAGE).toList();
  }

  /** The outcome of pressing OK on {@code entry}. */
  public PickerOutcome choose(PickerEntry entry) {
    Objects.requireNonNull(entry, "entry");
    if (!entry.selectable()) {
      throw new IllegalArgumentException(
          "'" + entry.label() + "' cannot be selected" + (entry.reason() != null ? ": " + entry.reason() : ""));
    }
    return switch (entry.kind()) {
      case TARGET -> new PickerOutcome.Selected(entry.path(), entry.namespace());
      case TARGETLESS -> new PickerOutcome.Selected(null, entry.namespace());
      case NAMESPACE -> new PickerOutcome.SwitchNamespace(entry.namespace());
      case MESSAGE -> throw new IllegalArgumentException("messages cannot be selected");
    };
  }

  /**
   * The choice a "Save to config" button saves for {@code entry}: a selectable target or the
   * targetless row; nothing for namespace rows, messages and unavailable targets.
   */
  public Optional<PickerOutcome.Selected> saveChoice(PickerEntry entry) {
    if (entry == null || !entry.selectable()
        || (entry.kind() != PickerEntry.Kind.TARGET && entry.kind() != PickerEntry.Kind.TARGETLESS)) {
      return Optional.empty();
    }
    return Optional.of((PickerOutcome.Selected) choose(entry));
  }

  /** The outcome of Cancel, Esc or closing the dialog: the run is aborted. */
  public PickerOutcome cancel() {
    return new PickerOutcome.Cancelled();
  }
}
