package dev.mirrordide.core.config;

import dev.mirrordide.core.contract.Contract;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The config files the server validates, by the client contract's globs ({@code mirrord.json},
 * {@code *.mirrord.json}, any file in a {@code .mirrord/} folder, each with the extensions json,
 * toml, yaml, yml; case-sensitive, as mirrord matches extensions).
 */
public final class ConfigFileNames {
  public static final List<String> EXTENSIONS = List.copyOf(Contract.get().configExtensions().keySet());
  public static final String FOLDER = Contract.get().configFolder();
  private static final Pattern CONFIG_FILE = compile();

  private ConfigFileNames() {}

  private static Pattern compile() {
    List<String> parts = new ArrayList<>();
    for (String glob : Contract.get().configGlobs()) {
      parts.add("(?:" + Contract.globToRegex(glob) + ")");
    }
    int flags = Contract.get().configCaseSensitive() ? 0 : Pattern.CASE_INSENSITIVE;
    return Pattern.compile(String.join("|", parts), flags);
  }

  /**
   * File-name patterns (no folders) for tools that match names only, such as LSP4IJ: the
   * contract's globs that name no folder.
   */
  public static List<String> fileNamePatterns() {
    List<String> out = new ArrayList<>();
    for (String glob : Contract.get().configGlobs()) {
      String name = glob.startsWith("**/") ? glob.substring(3) : glob;
      if (!name.contains("/")) {
        out.addAll(Contract.expandBraces(name));
      }
    }
    return List.copyOf(out);
  }

  /** Whether a slash- or backslash-separated path is a mirrord config. */
  public static boolean isConfigPath(String path) {
    return path != null && CONFIG_FILE.matcher(path.replace('\\', '/')).matches();
  }

  /**
   * @param parentName the name of the file's folder, or null
   * @param fileName the file's name
   */
  public static boolean isConfigFile(String parentName, String fileName) {
    if (fileName == null) {
      return false;
    }
    return isConfigPath(parentName == null ? fileName : parentName + "/" + fileName);
  }
}
