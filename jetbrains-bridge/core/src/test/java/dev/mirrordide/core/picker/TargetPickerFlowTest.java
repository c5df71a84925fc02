package dev.mirrordide.core.picker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mirrordide.core.api.MirrordRequestException;
import dev.mirrordide.core.api.PickerItems;
import dev.mirrordide.core.lsp.ErrorKind;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TargetPickerFlowTest {
  private final List<String> fetched = new ArrayList<>();
  private final RecentChoices recent = RecentChoices.inMemory();

  private TargetPickerFlow.ItemSource source() {
    return ns -> {
      fetched.add(String.valueOf(ns));
      return new PickerItems(ns == null ? "shop" : ns, false, null, PickerDialogModelTest.items().items());
    };
  }

  @Test
  void envTargetSkipsTheDialog() {
    TargetPickerFlow flow = new TargetPickerFlow(source(), m -> {
      throw new AssertionError("no dialog expected");
    }, recent);
    PickerOutcome o = flow.run("cfg", Map.of("MIRRORD_IMPERSONATED_TARGET", "pod/x", "MIRRORD_TARGET_NAMESPACE", "ns1"));
    assertEquals(new PickerOutcome.Preset("pod/x", "ns1", "MIRRORD_IMPERSONATED_TARGET"), o);
    assertTrue(fetched.isEmpty());
  }

  @Test
  void configThatNamesTheTargetSkipsTheDialog() {
    TargetPickerFlow flow = new TargetPickerFlow(ns -> new PickerItems("shop", true, "targetless", List.of()),
        m -> {
          throw new AssertionError("no dialog expected");
        }, recent);
    PickerOutcome.Preset p = assertInstanceOf(PickerOutcome.Preset.class, flow.run("cfg", Map.of()));
    assertEquals(null, p.target());
    assertEquals("config", p.source());
  }

  @Test
  void cancelAbortsAndIsNotRemembered() {
    TargetPickerFlow flow = new TargetPickerFlow(source(), PickerDialogModel::cancel, recent);
    assertInstanceOf(PickerOutcome.Cancelled.class, flow.run("cfg", Map.of()));
    assertTrue(recent.get(new RecentChoiceKey("cfg", null, "shop")).isEmpty());
    TargetPickerFlow closed = new TargetPickerFlow(source(), m -> null, recent);
    assertInstanceOf(PickerOutcome.Cancelled.class, closed.run("cfg", Map.of()), "closing the dialog is Cancel");
  }

  @Test
  void namespaceSwitchReloadsThenChoiceIsRemembered() {
    List<String> shown = new ArrayList<>();
    TargetPickerFlow flow = new TargetPickerFlow(source(), m -> {
      shown.add(m.namespace());
      if (m.namespace().equals("shop")) {
        return m.choose(m.entries().stream().filter(e -> e.kind() == PickerEntry.Kind.NAMESPACE).findFirst().orElseThrow());
      }
      return m.choose(m.sections().get(0).entries().get(0));
    }, recent);
    PickerOutcome.Selected s = assertInstanceOf(PickerOutcome.Selected.class, flow.run("cfg", Map.of()));
    assertEquals(List.of("shop", "staging"), shown);
    assertEquals(List.of("null", "staging"), fetched);
    assertEquals("shop", s.namespace(), "the item's own namespace is used");
    assertEquals(new RecentChoice("shop", "deployment/web/container/app"),
        recent.get(new RecentChoiceKey("cfg", null, "shop")).orElseThrow(), "kept for the namespace the target is in");
    assertTrue(recent.get(new RecentChoiceKey("cfg", null, "staging")).isEmpty());
  }

  @Test
  void envNamespaceIsTheFirstList() {
    TargetPickerFlow flow = new TargetPickerFlow(source(), m -> m.choose(m.targetless()), recent);
    PickerOutcome.Selected s = assertInstanceOf(PickerOutcome.Selected.class,
        flow.run("cfg", Map.of("MIRRORD_TARGET_NAMESPACE", "staging")));
    assertEquals(List.of("staging"), fetched);
    assertTrue(s.isTargetless());
  }

  @Test
  void listFailureStillShowsADialogWithTheReason() {
    List<PickerDialogModel> shown = new ArrayList<>();
    TargetPickerFlow flow = new TargetPickerFlow(ns -> {
      throw new MirrordRequestException(ErrorKind.UNKNOWN, "server stopped", null, false, null);
    }, m -> {
      shown.add(m);
      return m.cancel();
    }, recent);
    assertInstanceOf(PickerOutcome.Cancelled.class, flow.run("cfg", Map.of()));
    assertTrue(shown.get(0).messages().get(0).label().contains("server stopped"));
  }
}
