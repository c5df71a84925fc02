package dev.mirrordide.core.api;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The answer to {@code mirrord/setTarget}: an LSP WorkspaceEdit for one config file (its {@code
 * changes}, or {@code documentChanges} that create the file first). Positions are UTF-16 code
 * units, as Java strings count them.
 */
public final class TargetEdit {
  /** One LSP TextEdit: replace {@code [start, end)} with {@code newText}. */
  public record TextEdit(int startLine, int startCharacter, int endLine, int endCharacter, String newText) {}

  private final String uri;
  private final boolean createsFile;
  private final List<TextEdit> edits;

  private TargetEdit(String uri, boolean createsFile, List<TextEdit> edits) {
    this.uri = uri;
    this.createsFile = createsFile;
    this.edits = List.copyOf(edits);
  }

  /** The config file the edit is for. */
  public String uri() {
    return uri;
  }

  /** Whether the file does not exist yet and the edit creates it. */
  public boolean createsFile() {
    return createsFile;
  }

  public List<TextEdit> edits() {
    return edits;
  }

  /**
   * Reads the {@code edit} of a setTarget result for {@code uri}.
   *
   * @throws IllegalArgumentException when it is not a WorkspaceEdit for that file
   */
  public static TargetEdit parse(String uri, JsonElement edit) {
    if (edit == null || !edit.isJsonObject()) {
      throw new IllegalArgumentException("the edit is not a WorkspaceEdit object");
    }
    JsonObject o = edit.getAsJsonObject();
    List<TextEdit> out = new ArrayList<>();
    boolean create = false;
    if (o.get("changes") instanceof JsonObject changes) {
      for (String key : changes.keySet()) {
        requireUri(uri, key);
        addEdits(out, changes.get(key));
      }
    } else if (o.get("documentChanges") instanceof JsonArray changes) {
      for (JsonElement change : changes) {
        if (!(change instanceof JsonObject c)) {
          throw new IllegalArgumentException("a document change is not an object");
        }
        if (c.has("kind")) {
          String kind = c.get("kind").getAsString();
          if (!"create".equals(kind)) {
            throw new IllegalArgumentException("unexpected resource operation " + kind);
          }
          requireUri(uri, c.get("uri").getAsString());
          create = true;
          continue;
        }
        if (!(c.get("textDocument") instanceof JsonObject doc)) {
          throw new IllegalArgumentException("a document change names no document");
        }
        requireUri(uri, doc.get("uri").getAsString());
        addEdits(out, c.get("edits"));
      }
    } else {
      throw new IllegalArgumentException("the edit has neither changes nor documentChanges");
    }
    return new TargetEdit(uri, create, out);
  }

  private static void requireUri(String expected, String actual) {
    if (!expected.equals(actual)) {
      throw new IllegalArgumentException("the edit is for " + actual + ", not " + expected);
    }
  }

  private static void addEdits(List<TextEdit> out, JsonElement edits) {
    if (!(edits instanceof JsonArray array)) {
      throw new IllegalArgumentException("the text edits are not an array");
    }
    for (JsonElement e : array) {
      JsonObject edit = e.getAsJsonObject();
      JsonObject range = edit.getAsJsonObject("range");
      JsonObject start = range.getAsJsonObject("start");
      JsonObject end = range.getAsJsonObject("end");
      out.add(new TextEdit(
          start.get("line").getAsInt(), start.get("character").getAsInt(),
          end.get("line").getAsInt(), end.get("character").getAsInt(),
          edit.get("newText").getAsString()));
    }
  }

  /**
   * The file's new text: {@code text} (empty for a file the edit creates) with every edit applied
   * as an editor applies them, all ranges referring to the original text.
   */
  public String applyTo(String text) {
    String source = text == null ? "" : text;
    int[] lineStarts = lineStarts(source);
    List<int[]> spans = new ArrayList<>();
    for (TextEdit e : edits) {
      int start = offset(source, lineStarts, e.startLine(), e.startCharacter());
      int end = offset(source, lineStarts, e.endLine(), e.endCharacter());
      if (end < start) {
        throw new IllegalArgumentException("an edit ends before it starts");
      }
      spans.add(new int[] {start, end, spans.size()});
    }
    spans.sort(Comparator.<int[]>comparingInt(s -> s[0]).thenComparingInt(s -> s[2]));
    StringBuilder out = new StringBuilder(source.length() + 64);
    int at = 0;
    for (int[] s : spans) {
      if (s[0] < at) {
        throw new IllegalArgumentException("the edits overlap");
      }
      out.append(source, at, s[0]).append(edits.get(s[2]).newText());
      at = s[1];
    }
    return out.append(source.substring(at)).toString();
  }

  private static int[] lineStarts(String text) {
    List<Integer> starts = new ArrayList<>();
    starts.add(0);
    for (int i = 0; i < text.length(); i++) {
      if (text.charAt(i) == '\n') {
        starts.add(i + 1);
      }
    }
    return starts.stream().mapToInt(Integer::intValue).toArray();
  }

  /** A position past the end of its line (or of the text) stops there, as LSP specifies. */
  private static int offset(String text, int[] lineStarts, int line, int character) {
    if (line < 0 || character < 0) {
      throw new IllegalArgumentException("a negative position");
    }
    if (line >= lineStarts.length) {
      return text.length();
    }
    int start = lineStarts[line];
    int lineEnd = line + 1 < lineStarts.length ? lineStarts[line + 1] - 1 : text.length();
    if (lineEnd > start && text.charAt(lineEnd - 1) == '\r') {
      lineEnd -= 1;
    }
    return Math.min(start + character, lineEnd);
  }
}
