package dev.mirrordide.core.api;

/** The mirrord CLI that ran a session: its path and {@code --version}. */
public record CliInfo(String path, String version) {}
