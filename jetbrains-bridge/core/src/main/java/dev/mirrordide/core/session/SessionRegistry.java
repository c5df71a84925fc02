package dev.mirrordide.core.session;

import dev.mirrordide.core.api.MirrordApi;
import dev.mirrordide.core.api.SessionEnded;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The live sessions of one server connection: routes {@code mirrord/sessionEnded} to the session it
 * names, so it is marked ended and never stopped again, and tells {@code onEnded} (the plugin's
 * notification and tool window) once per session.
 */
public final class SessionRegistry implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(SessionRegistry.class.getName());

  private final Map<String, MirrordSession> live = new ConcurrentHashMap<>();
  private final BiConsumer<MirrordSession, SessionEnded> onEnded;
  private final AutoCloseable subscription;

  /** @param onEnded called with a tracked session and why it ended (on the dispatch thread) */
  public SessionRegistry(MirrordApi api, BiConsumer<MirrordSession, SessionEnded> onEnded) {
    this.onEnded = onEnded;
    this.subscription = api.onSessionEnded(this::ended);
  }

  public void add(MirrordSession session) {
    live.put(session.id(), session);
    session.ended().thenRun(() -> live.remove(session.id(), session));
  }

  public Collection<MirrordSession> sessions() {
    return List.copyOf(live.values());
  }

  void ended(SessionEnded event) {
    MirrordSession s = live.remove(event.sessionId());
    if (s == null) {
      LOG.log(Level.FINE, "session {0} ended ({1}); not one of this project''s", new Object[] {event.sessionId(), event.reason()});
      return;
    }
    if (s.markEnded(event)) {
      onEnded.accept(s, event);
    }
  }

  @Override
  public void close() {
    try {
      subscription.close();
    } catch (Exception e) {
      LOG.log(Level.FINE, "removing the sessionEnded handler", e);
    }
  }
}
