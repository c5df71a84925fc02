package dev.mirrordide.core.picker;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.util.Objects;
import java.util.Optional;

/**
 * Where a recent choice applies: one run configuration, on one cluster (the kube context), in one
 * namespace. A target remembered for {@code shop} on the staging cluster is not offered for {@code
 * shop} on production, nor for another namespace. An unknown context or namespace is the empty
 * string, so a host that cannot tell the context still gets one memory per namespace.
 */
public record RecentChoiceKey(String runConfig, String context, String namespace) {
  public RecentChoiceKey {
    runConfig = Objects.requireNonNull(runConfig, "runConfig");
    context = context == null ? "" : context.trim();
    namespace = namespace == null ? "" : namespace.trim();
  }

  /** The key as one string (a JSON array), for hosts that persist a string map. */
  public String encode() {
    JsonArray a = new JsonArray();
    a.add(runConfig);
    a.add(context);
    a.add(namespace);
    return a.toString();
  }

  /** The key {@link #encode()} wrote; empty for anything else (an older format, a hand edit). */
  public static Optional<RecentChoiceKey> decode(String text) {
    if (text == null) {
      return Optional.empty();
    }
    try {
      JsonElement parsed = JsonParser.parseString(text);
      if (parsed instanceof JsonArray a && a.size() == 3 && isString(a.get(0)) && isString(a.get(1)) && isString(a.get(2))) {
        return Optional.of(new RecentChoiceKey(a.get(0).getAsString(), a.get(1).getAsString(), a.get(2).getAsString()));
      }
    } catch (JsonParseException e) {
      // not a key of this format
    }
    return Optional.empty();
  }

  private static boolean isString(JsonElement e) {
    return e.isJsonPrimitive() && e.getAsJsonPrimitive().isString();
  }
}
