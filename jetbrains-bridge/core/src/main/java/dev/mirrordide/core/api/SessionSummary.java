package dev.mirrordide.core.api;

/** One entry of {@code mirrord/listSessions}; fields the server does not send are null. */
public record SessionSummary(String sessionId, String target, String namespace, AgentInfo agent) {}
