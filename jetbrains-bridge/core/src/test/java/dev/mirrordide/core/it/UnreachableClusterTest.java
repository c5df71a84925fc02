package dev.mirrordide.core.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mirrordide.core.api.MirrordApi;
import dev.mirrordide.core.api.MirrordRequestException;
import dev.mirrordide.core.api.PickerItem;
import dev.mirrordide.core.api.PickerItems;
import dev.mirrordide.core.lsp.ErrorKind;
import dev.mirrordide.core.lsp.LspClient;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A kubeconfig pointing at a closed port: errors carry kind "unreachable", the picker still works. */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class UnreachableClusterTest {
  @Test
  void errorsAreMappedAndThePickerStillOffersTargetless(@TempDir Path dir) throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Path kc = dir.resolve("kubeconfig");
    Files.writeString(kc, String.join("\n",
        "apiVersion: v1", "kind: Config",
        "clusters:", "- name: gone", "  cluster:", "    server: http://127.0.0.1:" + port,
        "users:", "- name: u", "  user:", "    token: t",
        "contexts:", "- name: c", "  context:", "    cluster: gone", "    user: u", "    namespace: default",
        "current-context: c", ""));
    try (LspClient client = RealServer.startServer(kc, dir)) {
      MirrordApi api = new MirrordApi(client);
      ExecutionException e = assertThrows(ExecutionException.class,
          () -> api.listTargets(null, null, false).get(60, TimeUnit.SECONDS));
      MirrordRequestException m = assertInstanceOf(MirrordRequestException.class, e.getCause());
      assertEquals(ErrorKind.UNREACHABLE, m.kind(), m.describe());
      assertTrue(m.getMessage().length() > 0);
      PickerItems items = api.targetPickerItems(null, null, false, null).get(60, TimeUnit.SECONDS);
      assertEquals(1, items.items().stream().filter(i -> PickerItem.TARGETLESS.equals(i.kind())).count());
      assertTrue(items.items().stream().anyMatch(i -> PickerItem.MESSAGE.equals(i.kind())), items.toString());
      client.shutdown(Duration.ofSeconds(5));
      assertTrue(!client.isAlive());
    }
  }
}
