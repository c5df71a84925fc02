package dev.mirrordide.core.picker;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.util.Comparator;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Remembers the last choice per run configuration, kube context and namespace ({@link
 * RecentChoiceKey}). The IDE persists it as a string map ({@link #over}); tests keep it in memory.
 */
public interface RecentChoices {
  /** How many choices {@link #inMemory()} and the IDE keep; the least recently chosen go first. */
  int DEFAULT_LIMIT = 200;

  Optional<RecentChoice> get(RecentChoiceKey key);

  void put(RecentChoiceKey key, RecentChoice choice);

  static RecentChoices inMemory() {
    return over(new ConcurrentHashMap<>(), DEFAULT_LIMIT);
  }

  /**
   * Choices stored in {@code store} (the host's persisted map: encoded key → {@code {"target",
   * "seq"}} JSON), at most {@code limit} of them. Entries this format cannot read are ignored and
   * dropped on the next write.
   */
  static RecentChoices over(Map<String, String> store, int limit) {
    return new StoredRecentChoices(store, limit);
  }
}

final class StoredRecentChoices implements RecentChoices {
  private final Map<String, String> store;
  private final int limit;

  StoredRecentChoices(Map<String, String> store, int limit) {
    if (limit < 1) {
      throw new IllegalArgumentException("limit must be at least 1");
    }
    this.store = Objects.requireNonNull(store);
    this.limit = limit;
  }

  @Override
  public synchronized Optional<RecentChoice> get(RecentChoiceKey key) {
    return Optional.ofNullable(store.get(key.encode()))
        .flatMap(StoredRecentChoices::parse)
        .map(e -> new RecentChoice(key.namespace().isEmpty() ? null : key.namespace(), e.target()));
  }

  @Override
  public synchronized void put(RecentChoiceKey key, RecentChoice choice) {
    store.keySet().removeIf(k -> RecentChoiceKey.decode(k).isEmpty() || parse(store.get(k)).isEmpty());
    long seq = store.values().stream().flatMap(v -> parse(v).stream()).mapToLong(Entry::seq).max().orElse(0) + 1;
    JsonObject value = new JsonObject();
    value.addProperty("target", choice.target());
    value.addProperty("seq", seq);
    store.put(key.encode(), value.toString());
    while (store.size() > limit) {
      store.entrySet().stream()
          .min(Comparator.comparingLong(e -> parse(e.getValue()).map(Entry::seq).orElse(Long.MIN_VALUE)))
          .ifPresent(oldest -> store.remove(oldest.getKey()));
    }
  }

  private record Entry(String target, long seq) {}

  private static Optional<Entry> parse(String value) {
    if (value == null) {
      return Optional.empty();
    }
    try {
      JsonElement parsed = JsonParser.parseString(value);
      JsonElement seq = parsed instanceof JsonObject o ? o.get("seq") : null;
      if (seq != null && seq.isJsonPrimitive() && seq.getAsJsonPrimitive().isNumber()) {
        JsonObject o = parsed.getAsJsonObject();
        JsonElement target = o.get("target");
        if (target == null || target.isJsonNull()) {
          return Optional.of(new Entry(null, seq.getAsLong()));
        }
        if (target.isJsonPrimitive() && target.getAsJsonPrimitive().isString()) {
          return Optional.of(new Entry(target.getAsString(), seq.getAsLong()));
        }
      }
    } catch (JsonParseException | NumberFormatException e) {
      // unreadable entry
    }
    return Optional.empty();
  }
}
