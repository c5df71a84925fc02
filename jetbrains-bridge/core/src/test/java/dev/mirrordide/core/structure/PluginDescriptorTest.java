package dev.mirrordide.core.structure;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mirrordide.core.config.ConfigFileNames;
import dev.mirrordide.core.it.RealServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/** The plugin cannot be built here (no IntelliJ SDK); this keeps its descriptor and sources consistent. */
class PluginDescriptorTest {
  static final Path PLUGIN = RealServer.repoRoot().resolve("jetbrains-bridge/plugin");
  static final Path META_INF = PLUGIN.resolve("src/main/resources/META-INF");
  /** Attributes whose value is a class of this plugin (or of the platform, for topics). */
  static final List<String> CLASS_ATTRIBUTES = List.of(
      "implementation", "serviceImplementation", "serviceInterface", "instance", "class", "factoryClass",
      "implementationClass", "provider", "documentMatcher");

  static Document parse(Path file) throws Exception {
    DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
    f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
    f.setExpandEntityReferences(false);
    return f.newDocumentBuilder().parse(file.toFile());
  }

  static List<Element> elements(Document doc, String tag) {
    NodeList nodes = doc.getElementsByTagName(tag);
    List<Element> out = new ArrayList<>();
    for (int i = 0; i < nodes.getLength(); i++) {
      out.add((Element) nodes.item(i));
    }
    return out;
  }

  /** Every descriptor: plugin.xml and the optional config files it names. */
  static List<Path> descriptors() throws Exception {
    List<Path> all = new ArrayList<>(List.of(META_INF.resolve("plugin.xml")));
    for (Element d : elements(parse(META_INF.resolve("plugin.xml")), "depends")) {
      if (d.hasAttribute("config-file")) {
        all.add(META_INF.resolve(d.getAttribute("config-file")));
      }
    }
    return all;
  }

  static Set<String> pluginClasses(Document doc) {
    Set<String> names = new TreeSet<>();
    NodeList nodes = doc.getElementsByTagName("*");
    for (int i = 0; i < nodes.getLength(); i++) {
      Element e = (Element) nodes.item(i);
      for (String attr : CLASS_ATTRIBUTES) {
        String v = e.getAttribute(attr);
        if (v.startsWith("dev.mirrordide.")) {
          names.add(v);
        }
      }
    }
    return names;
  }

  @Test
  void pluginXmlParsesAndDeclaresTheEssentials() throws Exception {
    Document doc = parse(META_INF.resolve("plugin.xml"));
    assertEquals("idea-plugin", doc.getDocumentElement().getTagName());
    assertEquals("dev.mirrordide.jetbrains", elements(doc, "id").get(0).getTextContent().trim());
    List<String> required = elements(doc, "depends").stream()
        .filter(d -> !"true".equals(d.getAttribute("optional"))).map(d -> d.getTextContent().trim()).toList();
    assertEquals(List.of("com.intellij.modules.platform"), required, "everything language-specific is optional");
    assertFalse(elements(doc, "stepsBeforeRunProvider").isEmpty(), "the hidden before-run step is registered");
    assertFalse(elements(doc, "projectConfigurable").isEmpty(), "a settings page exists");
    assertTrue(elements(doc, "listener").stream()
        .anyMatch(l -> l.getAttribute("topic").equals("com.intellij.execution.ExecutionListener")));
  }

  @Test
  void everyOptionalConfigExistsAndParses() throws Exception {
    List<Element> optional = elements(parse(META_INF.resolve("plugin.xml")), "depends").stream()
        .filter(d -> "true".equals(d.getAttribute("optional"))).toList();
    assertTrue(optional.size() >= 6, "java, python, go, node, lsp, lsp4ij");
    for (Element d : optional) {
      String file = d.getAttribute("config-file");
      assertFalse(file.isBlank(), "optional dependency " + d.getTextContent() + " has a config-file");
      Path p = META_INF.resolve(file);
      assertTrue(Files.isRegularFile(p), "missing " + p);
      assertEquals("idea-plugin", parse(p).getDocumentElement().getTagName(), p.toString());
      assertFalse(pluginClasses(parse(p)).isEmpty(), p + " registers something");
    }
  }

  @Test
  void everyNamedClassHasASourceFile() throws Exception {
    List<String> missing = new ArrayList<>();
    int count = 0;
    for (Path descriptor : descriptors()) {
      for (String cls : pluginClasses(parse(descriptor))) {
        count++;
        if (!sourceDeclares(cls)) {
          missing.add(cls + " (named in " + descriptor.getFileName() + ")");
        }
      }
    }
    assertTrue(count >= 12, "found only " + count + " class references");
    assertEquals(List.of(), missing);
  }

  /** A file in the class's package folder under src/main/{kotlin,java} declares the class. */
  static boolean sourceDeclares(String fqcn) throws Exception {
    int dot = fqcn.lastIndexOf('.');
    String pkg = fqcn.substring(0, dot);
    String simple = fqcn.substring(dot + 1);
    Pattern decl = Pattern.compile("(class|object|interface)\\s+" + Pattern.quote(simple) + "\\b");
    Pattern pkgDecl = Pattern.compile("^package\\s+" + Pattern.quote(pkg) + "\\s*;?\\s*$", Pattern.MULTILINE);
    for (String lang : List.of("kotlin", "java")) {
      Path dir = PLUGIN.resolve("src/main/" + lang).resolve(pkg.replace('.', '/'));
      if (!Files.isDirectory(dir)) {
        continue;
      }
      try (var files = Files.list(dir)) {
        for (Path f : files.filter(p -> p.toString().endsWith(".kt") || p.toString().endsWith(".java")).toList()) {
          String text = Files.readString(f);
          if (pkgDecl.matcher(text).find() && decl.matcher(text).find()) {
            return true;
          }
        }
      }
    }
    return false;
  }

  @Test
  void gradleBuildUsesTheIntellijPlatformPlugin() throws Exception {
    for (String f : List.of("build.gradle.kts", "settings.gradle.kts", "gradle.properties")) {
      assertTrue(Files.isRegularFile(PLUGIN.resolve(f)), f);
    }
    String build = Files.readString(PLUGIN.resolve("build.gradle.kts"));
    assertTrue(build.contains("id(\"org.jetbrains.intellij.platform\") version \"2."), "IntelliJ Platform Gradle plugin 2.x");
    assertTrue(build.contains("mirrord-ide-core"), "the plugin bundles the core jar");
  }

  @Test
  void lsp4ijMappingInThePluginUsesTheContractsNames() throws Exception {
    List<String> patterns = new ArrayList<>();
    for (Element m : elements(parse(META_INF.resolve("mirrord-lsp4ij.xml")), "fileNamePatternMapping")) {
      patterns.addAll(Arrays.asList(m.getAttribute("patterns").split(";")));
    }
    assertEquals(new TreeSet<>(ConfigFileNames.fileNamePatterns()), new TreeSet<>(patterns));
  }

  @Test
  void theLsp4ijServerIsTheManagedServerAndItsInterfaceListsEveryRequest() throws Exception {
    Document lsp4ij = parse(META_INF.resolve("mirrord-lsp4ij.xml"));
    String serverId = elements(lsp4ij, "server").get(0).getAttribute("id");
    Path kotlin = PLUGIN.resolve("src/main/kotlin/dev/mirrordide/jetbrains/lsp4ij");
    assertTrue(Files.readString(kotlin.resolve("Lsp4ijManagedServer.kt")).contains("SERVER_ID = \"" + serverId + "\""),
        "run requests go to the server the descriptor declares");
    assertTrue(elements(lsp4ij, "projectService").stream()
        .anyMatch(e -> e.getAttribute("serviceInterface").equals("dev.mirrordide.jetbrains.server.ManagedServer")));
    // LSP4J drops the result of a request its proxy interface does not declare: every request the
    // core sends must be declared there.
    String api = Files.readString(kotlin.resolve("MirrordLanguageServerApi.kt"));
    String core = Files.readString(RealServer.repoRoot().resolve(
        "jetbrains-bridge/core/src/main/java/dev/mirrordide/core/api/MirrordApi.java"));
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"(mirrord/[A-Za-z]+)\"").matcher(core);
    int found = 0;
    while (m.find()) {
      found++;
      assertTrue(api.contains("@JsonRequest(\"" + m.group(1) + "\")"), m.group(1) + " is declared for LSP4J");
    }
    assertTrue(found >= 6);
  }
}
