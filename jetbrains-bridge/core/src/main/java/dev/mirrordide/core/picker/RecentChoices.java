package dev.mirrordide.core.picker;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** Remembers the last choice per run configuration (the IDE persists it; tests keep it in memory). */
public interface RecentChoices {
  Optional<RecentChoice> get(String runConfigKey);

  void put(String runConfigKey, RecentChoice choice);

  static RecentChoices inMemory() {
    Map<String, RecentChoice> map = new ConcurrentHashMap<>();
    return new RecentChoices() {
      @Override
      public Optional<RecentChoice> get(String key) {
        return Optional.ofNullable(map.get(key));
      }

      @Override
      public void put(String key, RecentChoice choice) {
        map.put(key, choice);
      }
    };
  }
}
