package dev.mirrordide.core.picker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mirrordide.core.api.PickerItem;
import dev.mirrordide.core.api.PickerItems;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class RecentChoicesTest {
  private static final RecentChoiceKey STAGING_SHOP = new RecentChoiceKey("run:App", "staging", "shop");

  @Test
  void choicesAreKeptPerRunConfigurationContextAndNamespace() {
    RecentChoices recent = RecentChoices.inMemory();
    recent.put(STAGING_SHOP, new RecentChoice("shop", "deployment/web/container/app"));
    assertEquals(Optional.of(new RecentChoice("shop", "deployment/web/container/app")), recent.get(STAGING_SHOP));
    assertTrue(recent.get(new RecentChoiceKey("run:App", "prod", "shop")).isEmpty(), "another cluster");
    assertTrue(recent.get(new RecentChoiceKey("run:App", "staging", "orders")).isEmpty(), "another namespace");
    assertTrue(recent.get(new RecentChoiceKey("run:Other", "staging", "shop")).isEmpty(), "another run configuration");
    recent.put(STAGING_SHOP, new RecentChoice("shop", null));
    assertTrue(recent.get(STAGING_SHOP).orElseThrow().isTargetless(), "the last choice replaces the one before");
  }

  @Test
  void unknownContextAndNamespaceAreOneKeyNotAWildcard() {
    RecentChoices recent = RecentChoices.inMemory();
    recent.put(new RecentChoiceKey("run:App", null, " "), new RecentChoice(null, "pod/a"));
    assertEquals("pod/a", recent.get(new RecentChoiceKey("run:App", "", "")).orElseThrow().target());
    assertNull(recent.get(new RecentChoiceKey("run:App", "", "")).orElseThrow().namespace());
    assertTrue(recent.get(STAGING_SHOP).isEmpty());
  }

  @Test
  void keysSurviveEncodingWithAnyCharacters() {
    RecentChoiceKey odd = new RecentChoiceKey("a\u0000b\"c\\", "arn:aws:eks:eu-west-1:1:cluster/x", "ns");
    assertEquals(Optional.of(odd), RecentChoiceKey.decode(odd.encode()));
    assertFalse(odd.encode().contains("\u0000"), "a persisted key stays valid XML text");
    assertTrue(RecentChoiceKey.decode("run:App").isEmpty());
    assertTrue(RecentChoiceKey.decode("[\"a\",\"b\"]").isEmpty());
    assertTrue(RecentChoiceKey.decode(null).isEmpty());
  }

  @Test
  void aStoredMapIsReadBackAndOldEntriesAreDropped() {
    Map<String, String> store = new TreeMap<>();
    store.put("run:App", "shop\u0000deployment/web/container/app"); // an entry of an older format
    RecentChoices first = RecentChoices.over(store, 10);
    assertTrue(first.get(new RecentChoiceKey("run:App", null, "shop")).isEmpty());
    first.put(STAGING_SHOP, new RecentChoice("shop", "deployment/web/container/app"));
    assertFalse(store.containsKey("run:App"), "unreadable entries go on the next write");
    for (String value : store.values()) {
      assertFalse(value.contains("\u0000"));
    }
    RecentChoices reopened = RecentChoices.over(new HashMap<>(store), 10);
    assertEquals("deployment/web/container/app", reopened.get(STAGING_SHOP).orElseThrow().target());
  }

  @Test
  void theLeastRecentlyChosenGoFirst() {
    Map<String, String> store = new HashMap<>();
    RecentChoices recent = RecentChoices.over(store, 2);
    RecentChoiceKey a = new RecentChoiceKey("run:App", "c", "a");
    RecentChoiceKey b = new RecentChoiceKey("run:App", "c", "b");
    RecentChoiceKey c = new RecentChoiceKey("run:App", "c", "c");
    recent.put(a, new RecentChoice("a", "pod/1"));
    recent.put(b, new RecentChoice("b", "pod/2"));
    recent.put(a, new RecentChoice("a", "pod/3")); // a is now newer than b
    recent.put(c, new RecentChoice("c", null));
    assertEquals(2, store.size());
    assertTrue(recent.get(b).isEmpty());
    assertEquals("pod/3", recent.get(a).orElseThrow().target());
    assertTrue(recent.get(c).orElseThrow().isTargetless());
  }

  /** Items of namespace {@code ns} whose targets live in it, with a row to switch to the other one. */
  private static PickerItems itemsOf(String ns) {
    String other = ns.equals("shop") ? "orders" : "shop";
    return new PickerItems(ns, false, null, List.of(
        new PickerItem("deployment/web/container/app", ns, null, "target", "deployment/web/container/app", ns, true, null),
        new PickerItem("deployment/api/container/app", ns, null, "target", "deployment/api/container/app", ns, true, null),
        new PickerItem("No Target (\"targetless\")", null, null, "targetless", null, ns, null, null),
        new PickerItem("Namespace: " + other, null, null, "namespace", null, other, null, null)));
  }

  private static Optional<String> recentRow(PickerDialogModel m) {
    return m.entries().stream().filter(PickerEntry::recent).map(e -> e.path() == null ? "targetless" : e.path()).findFirst();
  }

  @Test
  void theDialogOffersWhatWasChosenOnThisClusterInThisNamespace() {
    RecentChoices recent = RecentChoices.inMemory();
    List<Optional<String>> offered = new ArrayList<>();
    TargetPickerFlow.ItemSource source = ns -> itemsOf(ns == null ? "shop" : ns);
    // On staging: choose api in shop.
    new TargetPickerFlow(source, m -> m.choose(m.entries().stream()
        .filter(e -> "deployment/api/container/app".equals(e.path())).findFirst().orElseThrow()), recent, "staging")
        .run("run:App", Map.of());
    // On prod, the same run configuration and namespace: nothing is promoted; choose targetless.
    new TargetPickerFlow(source, m -> {
      offered.add(recentRow(m));
      return m.choose(m.targetless());
    }, recent, "prod").run("run:App", Map.of());
    assertEquals(List.of(Optional.empty()), offered);
    // Back on staging: shop offers api first; orders (never chosen there) offers nothing.
    offered.clear();
    PickerOutcome o = new TargetPickerFlow(source, m -> {
      offered.add(recentRow(m));
      if (m.namespace().equals("shop")) {
        return m.choose(m.entries().stream().filter(e -> e.kind() == PickerEntry.Kind.NAMESPACE).findFirst().orElseThrow());
      }
      return m.cancel();
    }, recent, "staging").run("run:App", Map.of());
    assertInstanceOf(PickerOutcome.Cancelled.class, o);
    assertEquals(List.of(Optional.of("deployment/api/container/app"), Optional.empty()), offered);
    // And prod remembers its own choice.
    assertTrue(recent.get(new RecentChoiceKey("run:App", "prod", "shop")).orElseThrow().isTargetless());
  }
}
