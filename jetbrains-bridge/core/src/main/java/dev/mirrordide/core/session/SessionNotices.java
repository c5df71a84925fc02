package dev.mirrordide.core.session;

import dev.mirrordide.core.api.SessionEnded;
import dev.mirrordide.core.api.SessionInfo;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * What the IDE tells the user about a session, as plain data the plugin turns into notifications
 * and the tool window: the engine's information and warnings, that a session mirrors no traffic
 * (once per project, with the way out), the engine that ran it, and why the server ended it.
 */
public final class SessionNotices {
  /** The setting a user changes to get traffic: the way out named in the no-traffic notice. */
  public static final String CLI_PATH_SETTING = "mirrord.cliPath";

  public enum Level {
    INFO,
    WARNING
  }

  /** One notification; {@code action} names a setting to offer, or is null. */
  public record Notice(Level level, String text, String action) {}

  private SessionNotices() {}

  /**
   * Notices for a started session: each line of information (INFO), each warning, then the
   * no-traffic notice when {@code firstNoTrafficNotice} says it was not shown yet (it records that
   * it now is). The engine's information is shown as information, as mirrord's own extension shows
   * the CLI's Info messages (metalbear-co/mirrord-vscode, src/api.ts: the switch on
   * message["type"] and handleIdeMessage).
   */
  public static List<Notice> started(SessionInfo info, Predicate<String> firstNoTrafficNotice) {
    List<Notice> out = new ArrayList<>();
    for (String i : info.info()) {
      out.add(new Notice(Level.INFO, "mirrord: " + i, null));
    }
    for (String w : info.warnings()) {
      out.add(new Notice(Level.WARNING, "mirrord: " + w, null));
    }
    String noTraffic = noTrafficText(info);
    if (noTraffic != null && firstNoTrafficNotice.test("no-traffic")) {
      out.add(new Notice(Level.INFO, noTraffic, CLI_PATH_SETTING));
    }
    return out;
  }

  /**
   * The plain-words notice for a session on a target that gets no incoming traffic because of the
   * engine, else null. A targetless session has no traffic to mirror, and the mirrord CLI mirrors
   * whatever the config asks for: neither is something a CLI would change.
   */
  public static String noTrafficText(SessionInfo info) {
    if (!info.mirrorsNoTraffic() || info.target() == null || SessionInfo.ENGINE_CLI.equals(info.engine())) {
      return null;
    }
    String env = "process".equals(info.capabilities().env())
        ? "the target's environment"
        : "the environment declared in the target's pod spec";
    String engine = info.engineLabel() == null ? "current" : info.engineLabel();
    return "mirrord: this session gives your program " + env + ", but no incoming traffic from the cluster reaches it"
        + " (the " + engine + " engine does not mirror traffic). To receive traffic, install mirrord or set "
        + CLI_PATH_SETTING + ".";
  }

  /** One line for the tool window or the start notification: target, namespace and engine. */
  public static String summary(SessionInfo info) {
    String target = info.target() == null ? "targetless" : info.target();
    String engine = info.engineLabel();
    return "mirrord: " + target + " in " + info.namespace() + (engine == null ? "" : " (" + engine + ")");
  }

  /** The notice for a session the server ended; a stop someone asked for is INFO, the rest WARNING. */
  public static Notice ended(SessionEnded event, SessionInfo info) {
    String what = info == null
        ? "session " + event.sessionId()
        : "session on " + (info.target() == null ? "targetless" : info.target());
    String reason = event.reasonText();
    String detail = event.message() != null && !event.message().isEmpty() && !event.message().equals(reason)
        ? ": " + event.message()
        : "";
    String text = "mirrord: the " + what + " ended (" + reason + ")" + detail + "."
        + (event.wasRequested() ? "" : " The program keeps running without the cluster; restart it to reconnect.");
    return new Notice(event.wasRequested() ? Level.INFO : Level.WARNING, text, null);
  }
}
