package dev.mirrordide.core.api;

/**
 * What a session really gives the debuggee (protocol version 2): {@code env} is {@code "process"}
 * (the target process's env) or {@code "spec"} (only what the pod spec declares); {@code incoming}
 * is {@code "mirror"}, {@code "steal"} or {@code "off"} (no traffic reaches the debuggee).
 */
public record SessionCapabilities(String env, String incoming, boolean outgoing, boolean files) {
  public static final String INCOMING_OFF = "off";

  /** True when the server said that no incoming traffic reaches the debuggee. */
  public boolean noIncomingTraffic() {
    return INCOMING_OFF.equals(incoming);
  }
}
