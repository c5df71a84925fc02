package dev.mirrordide.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KubeContextTest {
  @TempDir Path dir;

  private Path write(String name, String text) throws IOException {
    Path p = dir.resolve(name);
    Files.writeString(p, text);
    return p;
  }

  @Test
  void theSettingThenMirrordsVariableWin() throws IOException {
    Path kc = write("kc", "current-context: from-file\n");
    assertEquals(Optional.of("set"), KubeContext.resolve(" set ", kc.toString(), Map.of("MIRRORD_KUBE_CONTEXT", "env"), dir));
    assertEquals(Optional.of("env"), KubeContext.resolve("", kc.toString(), Map.of("MIRRORD_KUBE_CONTEXT", "env"), dir));
    assertEquals(Optional.of("from-file"), KubeContext.resolve(null, kc.toString(), Map.of(), dir));
  }

  @Test
  void kubeconfigFilesInKubectlsOrderFirstCurrentContextWins() throws IOException {
    Path none = write("a", "apiVersion: v1\nkind: Config\ncontexts: []\n");
    Path second = write("b", "apiVersion: v1\ncurrent-context: \"kind-dev\"   # the local one\n");
    Path third = write("c", "current-context: later\n");
    String list = none + File.pathSeparator + dir.resolve("missing") + File.pathSeparator + second + File.pathSeparator + third;
    assertEquals(Optional.of("kind-dev"), KubeContext.resolve(null, null, Map.of("KUBECONFIG", list), dir));
    assertEquals(Optional.of("later"),
        KubeContext.resolve(null, null, Map.of("KUBECONFIG", list, "MIRRORD_KUBECONFIG", third.toString()), dir),
        "MIRRORD_KUBECONFIG comes before KUBECONFIG");
    assertEquals(Optional.of("later"), KubeContext.resolve(null, third.toString(), Map.of("MIRRORD_KUBECONFIG", second.toString()), dir),
        "the setting comes before both");
  }

  @Test
  void homeKubeConfigIsTheDefault() throws IOException {
    Files.createDirectories(dir.resolve(".kube"));
    write(".kube/config", "clusters: []\ncurrent-context: 'it''s-mine'\n");
    assertEquals(Optional.of("it's-mine"), KubeContext.resolve(null, null, Map.of(), dir));
    assertEquals(Optional.of("it's-mine"), KubeContext.resolve(null, "~/.kube/config", Map.of(), dir));
  }

  @Test
  void shapesOfCurrentContext() {
    assertEquals(Optional.of("arn:aws:eks:eu-west-1:1:cluster/x"),
        KubeContext.currentContextIn("current-context: arn:aws:eks:eu-west-1:1:cluster/x\n"));
    assertEquals(Optional.of("gke_p_z_c"), KubeContext.currentContextIn("{\"current-context\": \"gke_p_z_c\", \"contexts\": []}"));
    assertEquals(Optional.empty(), KubeContext.currentContextIn("current-context: \"\"\n"));
    assertEquals(Optional.empty(), KubeContext.currentContextIn("current-context:\n"));
    assertEquals(Optional.empty(), KubeContext.currentContextIn("contexts:\n- name: x\n  current-context: nested\n"),
        "only the top-level key counts");
    assertEquals(Optional.empty(), KubeContext.currentContextOf(Path.of("/nonexistent/kubeconfig")));
  }
}
