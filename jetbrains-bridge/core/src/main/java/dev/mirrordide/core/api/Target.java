package dev.mirrordide.core.api;

/** One entry of {@code mirrord/listTargets}: a pod, or a workload, and one of its containers. */
public record Target(
    String path,
    String kind,
    String name,
    String namespace,
    String container,
    boolean available,
    String reason) {}
