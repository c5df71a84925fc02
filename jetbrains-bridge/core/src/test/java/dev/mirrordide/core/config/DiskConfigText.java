package dev.mirrordide.core.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.UnaryOperator;

/** A config's text straight from the disk, as a headless IDE would have it; records each write. */
public final class DiskConfigText implements TargetSaver.ConfigText {
  public final List<Path> updated = new CopyOnWriteArrayList<>();

  @Override
  public void update(Path file, UnaryOperator<String> change) throws IOException {
    String current = Files.exists(file) ? Files.readString(file) : null;
    String next = change.apply(current);
    Files.createDirectories(file.getParent());
    Files.writeString(file, next);
    updated.add(file);
  }
}
