package dev.mirrordide.core.lsp;

import com.google.gson.Gson;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * JSON as plain JDK values (Map, List, String, Boolean, Long/Double, null) and back. An LSP client
 * that lives in another plugin (LSP4IJ, with its own LSP4J and possibly its own Gson) is given and
 * gives back only such values, so no Gson class has to cross a class loader.
 */
public final class PlainJson {
  private static final Gson GSON = new Gson();
  private static final double EXACT_LONG = 9.007199254740992E15; // 2^53

  private PlainJson() {}

  /** A JSON tree as nested {@code LinkedHashMap}/{@code ArrayList}/String/Boolean/Long/Double/null. */
  public static Object toPlain(JsonElement json) {
    if (json == null || json.isJsonNull()) {
      return null;
    }
    if (json instanceof JsonObject o) {
      Map<String, Object> out = new LinkedHashMap<>();
      o.entrySet().forEach(e -> out.put(e.getKey(), toPlain(e.getValue())));
      return out;
    }
    if (json instanceof JsonArray a) {
      List<Object> out = new ArrayList<>(a.size());
      a.forEach(e -> out.add(toPlain(e)));
      return out;
    }
    JsonPrimitive p = json.getAsJsonPrimitive();
    if (p.isBoolean()) {
      return p.getAsBoolean();
    }
    if (p.isNumber()) {
      return number(p.getAsDouble(), p);
    }
    return p.getAsString();
  }

  /**
   * A JSON tree from what a foreign JSON library handed over: plain values as above (numbers that
   * are whole come back as integers, whatever the other side parsed them as), a Gson tree of this
   * class loader, or any other object whose {@code toString()} is JSON (a Gson tree of another
   * class loader).
   *
   * @throws IllegalArgumentException when {@code value} is none of these
   */
  public static JsonElement toJsonTree(Object value) {
    if (value == null) {
      return JsonNull.INSTANCE;
    }
    if (value instanceof JsonElement e) {
      return e;
    }
    if (value instanceof Map<?, ?> m) {
      JsonObject o = new JsonObject();
      m.forEach((k, v) -> o.add(String.valueOf(k), toJsonTree(v)));
      return o;
    }
    if (value instanceof Iterable<?> list) {
      JsonArray a = new JsonArray();
      list.forEach(v -> a.add(toJsonTree(v)));
      return a;
    }
    if (value instanceof String s) {
      return new JsonPrimitive(s);
    }
    if (value instanceof Boolean b) {
      return new JsonPrimitive(b);
    }
    if (value instanceof Double || value instanceof Float) {
      return new JsonPrimitive((Number) number(((Number) value).doubleValue(), null));
    }
    if (value instanceof Number n) {
      return new JsonPrimitive(n);
    }
    if (value instanceof Character c) {
      return new JsonPrimitive(c);
    }
    if (value.getClass().getName().startsWith("com.google.gson.")) {
      try {
        return JsonParser.parseString(value.toString());
      } catch (JsonParseException e) {
        throw new IllegalArgumentException("not JSON: " + value.getClass().getName(), e);
      }
    }
    try {
      return GSON.toJsonTree(value);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("cannot turn a " + value.getClass().getName() + " into JSON", e);
    }
  }

  private static Object number(double d, JsonPrimitive original) {
    if (!Double.isInfinite(d) && d == Math.rint(d) && Math.abs(d) <= EXACT_LONG) {
      return (long) d;
    }
    return original != null ? original.getAsDouble() : d;
  }
}
