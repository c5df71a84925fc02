package dev.mirrordide.core.api;

import java.util.List;

/** Result of {@code mirrord/listNamespaces}. */
public record Namespaces(List<String> namespaces, String current) {
  public Namespaces {
    namespaces = namespaces == null ? List.of() : List.copyOf(namespaces);
  }
}
