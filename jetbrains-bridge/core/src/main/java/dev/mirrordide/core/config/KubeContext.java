package dev.mirrordide.core.config;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The name of the kube context the language server lists targets from, as the server chooses it
 * (server/mirrord_ide/cluster/kubeconfig.py, {@code cluster_settings} and {@code
 * kubeconfig_paths}): the {@code mirrord.context} setting, else {@code MIRRORD_KUBE_CONTEXT}, else
 * the {@code current-context} of the kubeconfig files ({@code mirrord.kubeconfig}, else {@code
 * MIRRORD_KUBECONFIG}, else {@code KUBECONFIG}, else {@code ~/.kube/config}; the first file that
 * sets it wins, as kubectl merges). Used to tell recent choices apart by cluster; it never decides
 * which cluster is used.
 */
public final class KubeContext {
  private static final Pattern YAML_CURRENT = Pattern.compile("^current-context\\s*:\\s*(.*)$");

  private KubeContext() {}

  /**
   * @param contextSetting the IDE's context setting (blank: none)
   * @param kubeconfigSetting the IDE's kubeconfig setting, already expanded (blank: none)
   * @param env the server's environment
   * @param home the user's home directory, for {@code ~/.kube/config}
   * @return the context, empty when none can be told (no kubeconfig, no current context)
   */
  public static Optional<String> resolve(
      String contextSetting, String kubeconfigSetting, Map<String, String> env, Path home) {
    String explicit = firstNonBlank(contextSetting, env.get("MIRRORD_KUBE_CONTEXT"));
    if (explicit != null) {
      return Optional.of(explicit);
    }
    String files = firstNonBlank(kubeconfigSetting, env.get("MIRRORD_KUBECONFIG"), env.get("KUBECONFIG"));
    List<Path> paths = new ArrayList<>();
    if (files == null) {
      paths.add(home.resolve(".kube").resolve("config"));
    } else {
      for (String part : files.split(Pattern.quote(File.pathSeparator))) {
        if (!part.isBlank()) {
          String p = part.trim();
          paths.add(p.equals("~") || p.startsWith("~/") ? home.resolve(p.substring(Math.min(2, p.length()))) : Path.of(p));
        }
      }
    }
    for (Path path : paths) {
      Optional<String> current = currentContextOf(path);
      if (current.isPresent()) {
        return current;
      }
    }
    return Optional.empty();
  }

  /** The {@code current-context} one kubeconfig file sets; empty when unreadable or unset. */
  static Optional<String> currentContextOf(Path file) {
    try {
      if (!Files.isRegularFile(file)) {
        return Optional.empty();
      }
      return currentContextIn(Files.readString(file, StandardCharsets.UTF_8));
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  /**
   * The top-level {@code current-context} of a kubeconfig's text: JSON, or YAML as kubectl writes
   * it (a plain, single- or double-quoted scalar at the start of a line).
   */
  static Optional<String> currentContextIn(String text) {
    String trimmed = text.strip();
    if (trimmed.startsWith("{")) {
      try {
        JsonElement parsed = JsonParser.parseString(trimmed);
        JsonElement c = parsed instanceof JsonObject o ? o.get("current-context") : null;
        if (c != null && c.isJsonPrimitive() && c.getAsJsonPrimitive().isString() && !c.getAsString().isBlank()) {
          return Optional.of(c.getAsString());
        }
      } catch (JsonParseException e) {
        // not JSON after all: read it as YAML below
      }
    }
    for (String line : text.split("\r?\n")) {
      Matcher m = YAML_CURRENT.matcher(line);
      if (m.matches()) {
        return Optional.ofNullable(scalar(m.group(1).strip())).filter(s -> !s.isBlank());
      }
    }
    return Optional.empty();
  }

  private static String scalar(String raw) {
    if (raw.startsWith("\"")) {
      int end = raw.indexOf('"', 1);
      return end < 0 ? null : raw.substring(1, end).replace("\\\\", "\\");
    }
    if (raw.startsWith("'")) {
      StringBuilder out = new StringBuilder();
      for (int i = 1; i < raw.length(); i++) {
        char c = raw.charAt(i);
        if (c == '\'') {
          if (i + 1 < raw.length() && raw.charAt(i + 1) == '\'') {
            out.append('\'');
            i++;
            continue;
          }
          return out.toString();
        }
        out.append(c);
      }
      return null;
    }
    int comment = raw.indexOf(" #");
    String value = (comment >= 0 ? raw.substring(0, comment) : raw).strip();
    return value.equals("~") || value.equals("null") || value.startsWith("#") ? null : value;
  }

  private static String firstNonBlank(String... values) {
    for (String v : values) {
      if (v != null && !v.isBlank()) {
        return v.trim();
      }
    }
    return null;
  }
}
