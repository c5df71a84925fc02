package dev.mirrordide.core.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class TargetEditTest {
  private static final String URI = "file:///ws/mirrord.toml";

  private static String edit(int sl, int sc, int el, int ec, String text) {
    return "{\"range\":{\"start\":{\"line\":" + sl + ",\"character\":" + sc + "},\"end\":{\"line\":" + el
        + ",\"character\":" + ec + "}},\"newText\":" + JsonParser.parseString("\"" + text + "\"") + "}";
  }

  private static TargetEdit changes(String... edits) {
    return TargetEdit.parse(URI, JsonParser.parseString(
        "{\"changes\":{\"" + URI + "\":[" + String.join(",", edits) + "]}}"));
  }

  @Test
  void appliesEditsAgainstTheOriginalTextInAnyOrder() {
    String text = "# team\n[target]\npath = \"pod/a\" # old\n\n[agent]\nttl = 3\n";
    TargetEdit e = changes(
        edit(2, 24, 2, 24, "\\nnamespace = \\\"shop\\\""),
        edit(2, 7, 2, 14, "\\\"deployment/api\\\""));
    assertFalse(e.createsFile());
    assertEquals("# team\n[target]\npath = \"deployment/api\" # old\nnamespace = \"shop\"\n\n[agent]\nttl = 3\n",
        e.applyTo(text));
  }

  @Test
  void countsUtf16UnitsAndClampsToTheLineEnd() {
    String text = "a: \"😀x\"\r\nb: 1\r\n";
    // The emoji is two UTF-16 units: `x` starts at character 6.
    assertEquals("a: \"😀y\"\r\nb: 1\r\n", changes(edit(0, 6, 0, 7, "y")).applyTo(text));
    assertEquals("a: \"😀x\"!\r\nb: 1\r\n", changes(edit(0, 99, 0, 99, "!")).applyTo(text));
    assertEquals(text + "c: 2\n", changes(edit(5, 0, 5, 0, "c: 2\\n")).applyTo(text));
  }

  @Test
  void aCreatedFileStartsEmpty() {
    TargetEdit e = TargetEdit.parse(URI, JsonParser.parseString("{\"documentChanges\":["
        + "{\"kind\":\"create\",\"uri\":\"" + URI + "\",\"options\":{\"ignoreIfExists\":true}},"
        + "{\"textDocument\":{\"uri\":\"" + URI + "\",\"version\":null},\"edits\":["
        + edit(0, 0, 0, 0, "target = \\\"pod/web\\\"\\n") + "]}]}"));
    assertTrue(e.createsFile());
    assertEquals("target = \"pod/web\"\n", e.applyTo(null));
  }

  @Test
  void refusesEditsForAnotherFileOrThatOverlap() {
    assertThrows(IllegalArgumentException.class, () -> TargetEdit.parse("file:///other.json",
        JsonParser.parseString("{\"changes\":{\"" + URI + "\":[]}}")));
    assertThrows(IllegalArgumentException.class, () -> TargetEdit.parse(URI, JsonParser.parseString("{}")));
    TargetEdit overlapping = changes(edit(0, 0, 0, 4, "x"), edit(0, 2, 0, 6, "y"));
    assertThrows(IllegalArgumentException.class, () -> overlapping.applyTo("0123456789"));
  }

  @Test
  void setTargetSendsTheChoiceAndReadsTheEdit() throws Exception {
    ScriptedChannel ch = new ScriptedChannel().answer("mirrord/setTarget",
        "{\"edit\":{\"changes\":{\"" + URI + "\":[" + edit(0, 9, 0, 16, "\\\"pod/web\\\"") + "]}}}");
    TargetEdit e = new MirrordApi(ch).setTarget(URI, null, null).get(5, TimeUnit.SECONDS);
    assertEquals("target = \"pod/web\"\n", e.applyTo("target = \"pod/a\"\n"));
    JsonObject sent = ch.calls("mirrord/setTarget").get(0).params();
    assertEquals(URI, sent.get("configUri").getAsString());
    assertTrue(sent.get("target").isJsonNull(), "targetless is an explicit null");
    assertFalse(sent.has("namespace"));

    ScriptedChannel broken = new ScriptedChannel().answer("mirrord/setTarget", "{\"edit\":{\"changes\":{\"file:///x\":[]}}}");
    ExecutionException failed = assertThrows(ExecutionException.class,
        () -> new MirrordApi(broken).setTarget(URI, "pod/web", "shop").get(5, TimeUnit.SECONDS));
    assertInstanceOf(MirrordRequestException.class, failed.getCause());
    assertEquals("shop", broken.calls("mirrord/setTarget").get(0).params().get("namespace").getAsString());
  }
}
