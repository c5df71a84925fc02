package dev.mirrordide.core.picker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mirrordide.core.api.PickerItem;
import dev.mirrordide.core.api.PickerItems;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class PickerDialogModelTest {
  static PickerItem sep(String label) {
    return new PickerItem(label, null, null, "separator", null, null, null, null);
  }

  static PickerItem target(String path, Boolean available, String reason) {
    return new PickerItem(path, "shop", null, "target", path, "shop", available, reason);
  }

  static PickerItems items() {
    return new PickerItems("shop", false, null, List.of(
        sep("Deployments"),
        target("deployment/web/container/app", null, null),
        target("deployment/api/container/app", true, null),
        sep("Pods"),
        target("pod/db-0/container/pg", false, "pod is Pending"),
        new PickerItem("No Target (\"targetless\")", null, null, "targetless", null, "shop", null, null),
        new PickerItem("Namespace: staging", null, null, "namespace", null, "staging", null, null)));
  }

  @Test
  void sectionsFollowTheServersSeparators() {
    PickerDialogModel m = PickerDialogModel.build(items(), Optional.empty());
    assertEquals("shop", m.namespace());
    assertEquals(List.of("Deployments", "Pods"), m.sections().stream().map(PickerSection::title).toList());
    assertEquals(2, m.sections().get(0).entries().size());
    assertTrue(m.initialSelection().isEmpty());
  }

  @Test
  void unavailableTargetsAreShownDisabledWithTheirReason() {
    PickerDialogModel m = PickerDialogModel.build(items(), Optional.empty());
    PickerEntry db = m.entries().stream().filter(e -> "pod/db-0/container/pg".equals(e.path())).findFirst().orElseThrow();
    assertFalse(db.selectable());
    assertEquals("pod is Pending", db.reason());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.choose(db));
    assertTrue(e.getMessage().contains("pod is Pending"));
  }

  @Test
  void recentChoiceComesFirstAndIsNotDuplicated() {
    PickerDialogModel m = PickerDialogModel.build(items(), Optional.of(new RecentChoice("shop", "deployment/api/container/app")));
    PickerSection first = m.sections().get(0);
    assertEquals(PickerDialogModel.RECENT_TITLE, first.title());
    assertEquals("deployment/api/container/app", first.entries().get(0).path());
    assertTrue(first.entries().get(0).recent());
    assertEquals(1, m.entries().stream().filter(e -> "deployment/api/container/app".equals(e.path())).count());
    assertEquals(first.entries().get(0), m.initialSelection().orElseThrow());
  }

  @Test
  void recentFromAnotherNamespaceOrUnavailableIsNotPromoted() {
    assertNull(PickerDialogModel.build(items(), Optional.of(new RecentChoice("other", "deployment/api/container/app")))
        .initialSelection().orElse(null));
    assertNull(PickerDialogModel.build(items(), Optional.of(new RecentChoice("shop", "pod/db-0/container/pg")))
        .initialSelection().orElse(null));
  }

  @Test
  void recentTargetlessIsPromoted() {
    PickerDialogModel m = PickerDialogModel.build(items(), Optional.of(new RecentChoice("shop", null)));
    assertEquals(PickerEntry.Kind.TARGETLESS, m.sections().get(0).entries().get(0).kind());
    assertEquals(1, m.entries().stream().filter(e -> e.kind() == PickerEntry.Kind.TARGETLESS).count());
  }

  @Test
  void targetlessIsAlwaysPresentExactlyOnce() {
    PickerItems none = new PickerItems("default", false, null, List.of(target("pod/a/container/c", true, null)));
    PickerDialogModel m = PickerDialogModel.build(none, Optional.empty());
    assertEquals(PickerItem.TARGETLESS_LABEL, m.targetless().label());
    PickerItem tl = PickerItem.targetless("default");
    PickerItems twice = new PickerItems("default", false, null, List.of(tl, tl));
    assertEquals(1, PickerDialogModel.build(twice, Optional.empty()).entries().size());
  }

  @Test
  void choicesMapToOutcomes() {
    PickerDialogModel m = PickerDialogModel.build(items(), Optional.empty());
    PickerEntry web = m.sections().get(0).entries().get(0);
    assertEquals(new PickerOutcome.Selected("deployment/web/container/app", "shop"), m.choose(web));
    PickerOutcome.Selected tl = assertInstanceOf(PickerOutcome.Selected.class, m.choose(m.targetless()));
    assertTrue(tl.isTargetless());
    assertEquals("shop", tl.namespace());
    PickerEntry ns = m.entries().stream().filter(e -> e.kind() == PickerEntry.Kind.NAMESPACE).findFirst().orElseThrow();
    assertEquals(new PickerOutcome.SwitchNamespace("staging"), m.choose(ns));
    assertInstanceOf(PickerOutcome.Cancelled.class, m.cancel());
  }

  @Test
  void filterKeepsTargetlessAndMessages() {
    PickerDialogModel m = PickerDialogModel.build(items(), Optional.empty());
    List<PickerEntry> kept = m.filtered("API").stream().flatMap(s -> s.entries().stream()).toList();
    assertEquals(java.util.Arrays.asList("deployment/api/container/app", null),
        kept.stream().map(PickerEntry::path).toList());
    assertEquals(PickerEntry.Kind.TARGETLESS, kept.get(1).kind());
  }

  @Test
  void serverPreselectionIsFocused() {
    PickerItems pre = new PickerItems("shop", false, "deployment/web/container/app", items().items());
    assertEquals("deployment/web/container/app", PickerDialogModel.build(pre, Optional.empty()).initialSelection().orElseThrow().path());
  }

  @Test
  void unavailableListStillOffersTargetlessAndSaysWhy() {
    PickerDialogModel m = PickerDialogModel.unavailable("default", "Could not list targets: unreachable");
    assertEquals(1, m.messages().size());
    assertFalse(m.messages().get(0).selectable());
    assertTrue(m.targetless().selectable());
  }

  @Test
  void unknownKindsAreSkipped() {
    PickerItems odd = new PickerItems("d", false, null, List.of(new PickerItem("?", null, null, "future-kind", null, null, null, null)));
    assertEquals(1, PickerDialogModel.build(odd, Optional.empty()).entries().size()); // just targetless
  }

  @Test
  void onlyTargetsAndTargetlessCanBeSavedToTheConfig() {
    PickerDialogModel m = PickerDialogModel.build(items(), Optional.empty());
    PickerEntry api = m.entries().stream().filter(e -> "deployment/api/container/app".equals(e.path())).findFirst().orElseThrow();
    assertEquals(new PickerOutcome.Selected("deployment/api/container/app", "shop"), m.saveChoice(api).orElseThrow());
    assertEquals(new PickerOutcome.Selected(null, "shop"), m.saveChoice(m.targetless()).orElseThrow());
    PickerEntry pending = m.entries().stream().filter(e -> "pod/db-0/container/pg".equals(e.path())).findFirst().orElseThrow();
    assertTrue(m.saveChoice(pending).isEmpty(), "an unavailable target");
    PickerEntry namespace = m.entries().stream().filter(e -> e.kind() == PickerEntry.Kind.NAMESPACE).findFirst().orElseThrow();
    assertTrue(m.saveChoice(namespace).isEmpty(), "a namespace row");
    assertTrue(m.saveChoice(null).isEmpty(), "no row selected");
  }
}
