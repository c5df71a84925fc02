package dev.mirrordide.core.config;

import dev.mirrordide.core.api.MirrordApi;
import dev.mirrordide.core.api.TargetEdit;
import dev.mirrordide.core.picker.PickerOutcome;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.UnaryOperator;

/**
 * Saving a target choice into a mirrord config. The server computes the edit ({@code
 * mirrord/setTarget}: JSON, TOML and YAML alike, comments and layout kept) against the text it
 * has for the file; the IDE applies it to its own copy of the file, so it is one undoable edit.
 */
public final class TargetSaver {
  /** The file's text as the IDE has it: its open document when there is one, else the disk. */
  public interface ConfigText {
    /**
     * Replaces the file's text with {@code change.apply(current)}, where {@code current} is null
     * for a file that does not exist yet (it is created with its folders).
     */
    void update(Path file, UnaryOperator<String> change) throws IOException;
  }

  /** What was saved, for the message the user sees. */
  public record Saved(Path file, String target, String namespace, boolean created) {
    /** e.g. {@code saved deployment/api (namespace shop) to .mirrord/mirrord.json}. */
    public String describe(Path projectBase) {
      Path shown = projectBase != null && file.startsWith(projectBase) ? projectBase.relativize(file) : file;
      String ns = namespace == null ? "" : " (namespace " + namespace + ")";
      return (created ? "created " : "saved ") + (target == null ? "targetless" : target) + ns + " to " + shown;
    }
  }

  private final MirrordApi api;
  private final ConfigText text;
  private final Executor applyOn;

  /**
   * @param applyOn where the edit is applied once the server answered (the IDE's UI thread, with
   *     the modality of the dialog that asked)
   */
  public TargetSaver(MirrordApi api, ConfigText text, Executor applyOn) {
    this.api = api;
    this.text = text;
    this.applyOn = applyOn;
  }

  /**
   * The config a choice is saved to: the one the run uses, else a new {@code .mirrord/mirrord.json}
   * in the project (where mirrord's IDE extensions look for one first).
   */
  public static Path configFileFor(Path located, Path projectBase) {
    return located != null ? located : projectBase.resolve(ConfigFileNames.FOLDER).resolve("mirrord.json");
  }

  /**
   * Saves {@code choice} into {@code file}. Fails with the server's error (e.g. an invalid target,
   * or a config the server cannot parse) and then leaves the file untouched.
   */
  public CompletableFuture<Saved> save(Path file, PickerOutcome.Selected choice) {
    String uri = file.toUri().toString();
    return api.setTarget(uri, choice.target(), choice.namespace())
        .thenApplyAsync(edit -> apply(file, edit, choice), applyOn);
  }

  private Saved apply(Path file, TargetEdit edit, PickerOutcome.Selected choice) {
    boolean[] created = {false};
    try {
      text.update(file, current -> {
        created[0] = current == null;
        return edit.applyTo(current);
      });
    } catch (IOException e) {
      throw new UncheckedIOException(file + " could not be written: " + e.getMessage(), e);
    }
    return new Saved(file, choice.target(), choice.namespace(), created[0]);
  }
}
