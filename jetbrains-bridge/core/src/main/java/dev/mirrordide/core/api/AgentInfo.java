package dev.mirrordide.core.api;

/** The agent a session created. */
public record AgentInfo(String pod, String namespace, String node, int port, String localAddress) {}
