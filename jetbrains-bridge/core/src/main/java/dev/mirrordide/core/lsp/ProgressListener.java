package dev.mirrordide.core.lsp;

/** Receives work-done progress for one token. Called on the connection's dispatch thread. */
@FunctionalInterface
public interface ProgressListener {
  void onProgress(ProgressEvent event);
}
