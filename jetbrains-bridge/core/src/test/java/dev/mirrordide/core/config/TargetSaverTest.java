package dev.mirrordide.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.mirrordide.core.api.MirrordApi;
import dev.mirrordide.core.api.MirrordRequestException;
import dev.mirrordide.core.api.ScriptedChannel;
import dev.mirrordide.core.lsp.ErrorKind;
import dev.mirrordide.core.lsp.ResponseErrorException;
import dev.mirrordide.core.picker.PickerOutcome;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TargetSaverTest {
  @TempDir Path dir;

  /** An executor that records that the edit was applied on it (the IDE's UI thread). */
  static final class Ui implements Executor {
    int ran;

    @Override
    public void execute(Runnable command) {
      ran++;
      command.run();
    }
  }

  private static String insertAtTop(String uri, String text) {
    return "{\"edit\":{\"changes\":{\"" + uri + "\":[{\"range\":{\"start\":{\"line\":0,\"character\":0},"
        + "\"end\":{\"line\":0,\"character\":0}},\"newText\":" + JsonParser.parseString("\"" + text + "\"") + "}]}}}";
  }

  @Test
  void appliesTheServersEditToTheFileOnTheGivenExecutor() throws Exception {
    Path file = dir.resolve("mirrord.toml");
    Files.writeString(file, "# team settings\n[agent]\nttl = 3\n");
    String uri = file.toUri().toString();
    ScriptedChannel ch = new ScriptedChannel().answer("mirrord/setTarget", insertAtTop(uri, "target = \\\"pod/web\\\"\\n"));
    DiskConfigText disk = new DiskConfigText();
    Ui ui = new Ui();
    TargetSaver.Saved saved = new TargetSaver(new MirrordApi(ch), disk, ui)
        .save(file, new PickerOutcome.Selected("pod/web", "shop")).get(5, TimeUnit.SECONDS);

    assertEquals("target = \"pod/web\"\n# team settings\n[agent]\nttl = 3\n", Files.readString(file));
    assertEquals(1, ui.ran);
    assertFalse(saved.created());
    assertEquals("saved pod/web (namespace shop) to mirrord.toml", saved.describe(dir));
    JsonObject sent = ch.calls("mirrord/setTarget").get(0).params();
    assertEquals(uri, sent.get("configUri").getAsString());
    assertEquals("pod/web", sent.get("target").getAsString());
    assertEquals("shop", sent.get("namespace").getAsString());
  }

  @Test
  void aMissingConfigIsCreatedInTheProjectsMirrordFolder() throws Exception {
    Path file = TargetSaver.configFileFor(null, dir);
    assertEquals(dir.resolve(".mirrord").resolve("mirrord.json"), file);
    Path located = dir.resolve("custom.mirrord.yaml");
    assertEquals(located, TargetSaver.configFileFor(located, dir));

    String uri = file.toUri().toString();
    ScriptedChannel ch = new ScriptedChannel().answer("mirrord/setTarget",
        "{\"edit\":{\"documentChanges\":[{\"kind\":\"create\",\"uri\":\"" + uri + "\"},{\"textDocument\":{\"uri\":\""
            + uri + "\",\"version\":null},\"edits\":[{\"range\":{\"start\":{\"line\":0,\"character\":0},"
            + "\"end\":{\"line\":0,\"character\":0}},\"newText\":\"{\\\"target\\\": \\\"targetless\\\"}\\n\"}]}]}}");
    TargetSaver.Saved saved = new TargetSaver(new MirrordApi(ch), new DiskConfigText(), Runnable::run)
        .save(file, new PickerOutcome.Selected(null, null)).get(5, TimeUnit.SECONDS);

    assertEquals("{\"target\": \"targetless\"}\n", Files.readString(file));
    assertTrue(saved.created());
    assertEquals("created targetless to .mirrord/mirrord.json", saved.describe(dir));
    assertTrue(ch.calls("mirrord/setTarget").get(0).params().get("target").isJsonNull(), "targetless is sent as null");
  }

  @Test
  void aRefusedSaveLeavesTheFileAlone() throws Exception {
    Path file = dir.resolve("mirrord.json");
    Files.writeString(file, "{\"target\": \"pod/a\"}\n");
    ScriptedChannel ch = new ScriptedChannel().answer("mirrord/setTarget", p -> CompletableFuture.failedFuture(
        new ResponseErrorException(-32602, "'pods/api' is not a target path",
            JsonParser.parseString("{\"kind\":\"invalid-config\"}"))));
    DiskConfigText disk = new DiskConfigText();
    ExecutionException e = assertThrows(ExecutionException.class, () -> new TargetSaver(new MirrordApi(ch), disk, Runnable::run)
        .save(file, new PickerOutcome.Selected("pods/api", "shop")).get(5, TimeUnit.SECONDS));
    MirrordRequestException cause = assertInstanceOf(MirrordRequestException.class, e.getCause());
    assertEquals(ErrorKind.INVALID_CONFIG, cause.kind());
    assertTrue(disk.updated.isEmpty());
    assertEquals("{\"target\": \"pod/a\"}\n", Files.readString(file));
  }

  @Test
  void aFileThatCannotBeWrittenIsAClearError() throws Exception {
    Path file = dir.resolve("mirrord.json");
    String uri = file.toUri().toString();
    ScriptedChannel ch = new ScriptedChannel().answer("mirrord/setTarget", insertAtTop(uri, "x"));
    TargetSaver.ConfigText readOnly = (f, change) -> {
      throw new IOException("read-only file system");
    };
    ExecutionException e = assertThrows(ExecutionException.class, () -> new TargetSaver(new MirrordApi(ch), readOnly, Runnable::run)
        .save(file, new PickerOutcome.Selected("pod/a", null)).get(5, TimeUnit.SECONDS));
    assertTrue(e.getCause().getMessage().contains("could not be written: read-only file system"), e.getCause().getMessage());
  }
}
