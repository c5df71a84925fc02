package dev.mirrordide.core.lsp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import org.junit.jupiter.api.Test;

class LspClientConfigurationTest {
  @Test
  void answersTheMirrordSectionAndNullForOthers() {
    JsonObject section = new JsonObject();
    section.addProperty("kubeconfig", "/tmp/kc");
    JsonArray result = LspClient.configuration(
        JsonParser.parseString("{\"items\":[{\"section\":\"mirrord\"},{\"section\":\"python\"},{\"section\":\"mirrord.kubeconfig\"},{}]}"),
        section).getAsJsonArray();
    assertEquals(4, result.size(), "one answer per item, as the protocol requires");
    assertEquals("/tmp/kc", result.get(0).getAsJsonObject().get("kubeconfig").getAsString());
    assertTrue(result.get(1).isJsonNull());
    assertEquals("/tmp/kc", result.get(2).getAsString());
    assertTrue(result.get(3).isJsonNull());
  }
}
