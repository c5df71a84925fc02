package dev.mirrordide.core.contract;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The client contract shared with the server and the VS Code extension: the server package's
 * {@code contract.json}, copied onto the class path by the build. Config file globs and error
 * codes are read from it, never restated here.
 */
public final class Contract {
  /** Where the build puts the server's {@code mirrord_ide/contract.json}. */
  public static final String RESOURCE = "/dev/mirrordide/core/contract.json";

  private static final Contract INSTANCE = load();

  private final JsonObject json;

  private Contract(JsonObject json) {
    this.json = json;
  }

  public static Contract get() {
    return INSTANCE;
  }

  private static Contract load() {
    try (InputStream in = Contract.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(RESOURCE + " is missing from the class path (see pom.xml resources)");
      }
      try (Reader reader = new InputStreamReader(in, StandardCharsets.UTF_8)) {
        return new Contract(JsonParser.parseReader(reader).getAsJsonObject());
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot read " + RESOURCE, e);
    }
  }

  public int protocolVersion() {
    return json.get("protocolVersion").getAsInt();
  }

  private JsonObject configFiles() {
    return json.getAsJsonObject("configFiles");
  }

  public List<String> configGlobs() {
    List<String> out = new ArrayList<>();
    for (JsonElement e : configFiles().getAsJsonArray("globs")) {
      out.add(e.getAsString());
    }
    return List.copyOf(out);
  }

  public boolean configCaseSensitive() {
    return configFiles().get("caseSensitive").getAsBoolean();
  }

  /** Extension, exactly as written, to the format mirrord parses it as. */
  public Map<String, String> configExtensions() {
    Map<String, String> out = new LinkedHashMap<>();
    configFiles().getAsJsonObject("extensions").entrySet().forEach(e -> out.put(e.getKey(), e.getValue().getAsString()));
    return Map.copyOf(out);
  }

  public String configFolder() {
    return configFiles().get("folder").getAsString();
  }

  /** Error kind ({@code data.kind}) to its JSON-RPC error code. */
  public Map<String, Integer> errorCodes() {
    Map<String, Integer> out = new LinkedHashMap<>();
    json.getAsJsonObject("errors").getAsJsonObject("codes").entrySet()
        .forEach(e -> out.put(e.getKey(), e.getValue().getAsInt()));
    return Map.copyOf(out);
  }

  /**
   * A contract glob as a regular expression: {@code **}{@code /} is any number of folders, {@code *}
   * anything but {@code /}, {@code {a,b}} either; the rest is literal.
   */
  public static String globToRegex(String glob) {
    StringBuilder out = new StringBuilder();
    int i = 0;
    while (i < glob.length()) {
      if (glob.startsWith("**/", i)) {
        out.append("(?:.*/)?");
        i += 3;
      } else if (glob.charAt(i) == '*') {
        out.append("[^/]*");
        i += 1;
      } else if (glob.charAt(i) == '{') {
        int end = glob.indexOf('}', i);
        List<String> parts = new ArrayList<>();
        for (String p : glob.substring(i + 1, end).split(",", -1)) {
          parts.add(Pattern.quote(p));
        }
        out.append("(?:").append(String.join("|", parts)).append(')');
        i = end + 1;
      } else {
        out.append(Pattern.quote(String.valueOf(glob.charAt(i))));
        i += 1;
      }
    }
    return out.toString();
  }

  /** The globs' alternatives with their braces expanded ({@code a.{x,y}} gives a.x and a.y). */
  public static List<String> expandBraces(String glob) {
    int open = glob.indexOf('{');
    if (open < 0) {
      return List.of(glob);
    }
    int close = glob.indexOf('}', open);
    List<String> out = new ArrayList<>();
    for (String p : glob.substring(open + 1, close).split(",", -1)) {
      out.addAll(expandBraces(glob.substring(0, open) + p + glob.substring(close + 1)));
    }
    return out;
  }
}
