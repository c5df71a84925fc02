package dev.mirrordide.core.lsp;

import com.google.gson.JsonElement;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Level;
import java.util.logging.Logger;

/** Fans server notifications out to any number of handlers per method. */
public final class NotificationRouter {
  private static final Logger LOG = Logger.getLogger(NotificationRouter.class.getName());

  private final Map<String, List<NotificationHandler>> handlers = new ConcurrentHashMap<>();

  /** Adds a handler; the returned handle removes it. */
  public AutoCloseable add(String method, NotificationHandler handler) {
    handlers.computeIfAbsent(method, m -> new CopyOnWriteArrayList<>()).add(handler);
    return () -> handlers.getOrDefault(method, List.of()).remove(handler);
  }

  /** @return whether any handler took the notification */
  public boolean dispatch(String method, JsonElement params) {
    List<NotificationHandler> targets = handlers.getOrDefault(method, List.of());
    for (NotificationHandler h : targets) {
      try {
        h.handle(method, params);
      } catch (RuntimeException e) {
        LOG.log(Level.WARNING, "handler for " + method + " failed", e);
      }
    }
    return !targets.isEmpty();
  }
}
