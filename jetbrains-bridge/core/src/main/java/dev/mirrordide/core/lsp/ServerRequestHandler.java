package dev.mirrordide.core.lsp;

import com.google.gson.JsonElement;

/** Answers a request the server sends to the client (e.g. {@code workspace/configuration}). */
@FunctionalInterface
public interface ServerRequestHandler {
  /**
   * @return the result (may be null for JSON {@code null})
   * @throws ResponseErrorException to answer with an error
   */
  JsonElement handle(JsonElement params);
}
