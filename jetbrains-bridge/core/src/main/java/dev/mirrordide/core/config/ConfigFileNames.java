package dev.mirrordide.core.config;

import java.util.List;
import java.util.Locale;

/**
 * The config files the server validates: {@code mirrord.json}, {@code *.mirrord.json}, any file in
 * a {@code .mirrord/} folder, each with the extensions json, toml, yaml, yml.
 */
public final class ConfigFileNames {
  public static final List<String> EXTENSIONS = List.of("json", "toml", "yaml", "yml");
  public static final String FOLDER = ".mirrord";

  private ConfigFileNames() {}

  /** File-name patterns (no folders) for tools that match names only, such as LSP4IJ. */
  public static List<String> fileNamePatterns() {
    return EXTENSIONS.stream().flatMap(e -> List.of("mirrord." + e, "*.mirrord." + e).stream()).toList();
  }

  /**
   * @param parentName the name of the file's folder, or null
   * @param fileName the file's name
   */
  public static boolean isConfigFile(String parentName, String fileName) {
    if (fileName == null) {
      return false;
    }
    int dot = fileName.lastIndexOf('.');
    if (dot <= 0) {
      return false;
    }
    String ext = fileName.substring(dot + 1).toLowerCase(Locale.ROOT);
    if (!EXTENSIONS.contains(ext)) {
      return false;
    }
    String stem = fileName.substring(0, dot);
    if (FOLDER.equals(parentName)) {
      return true;
    }
    return stem.equals("mirrord") || (stem.endsWith(".mirrord") && stem.length() > ".mirrord".length());
  }
}
