package dev.mirrordide.core.lsp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class MessageFramingTest {
  private static InputStream stream(String s) {
    return new ByteArrayInputStream(s.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void contentLengthCountsUtf8BytesNotChars() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    String body = "{\"label\":\"No Target — ✓ 😀\"}";
    MessageFraming.write(out, body);
    String framed = out.toString(StandardCharsets.UTF_8);
    int bytes = body.getBytes(StandardCharsets.UTF_8).length;
    assertTrue(bytes > body.length());
    assertTrue(framed.startsWith("Content-Length: " + bytes + "\r\n\r\n"), framed);
    assertEquals(body, MessageFraming.read(new ByteArrayInputStream(out.toByteArray())));
  }

  @Test
  void readsConsecutiveMessagesAndCleanEof() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    MessageFraming.write(out, "{\"a\":1}");
    MessageFraming.write(out, "{\"b\":2}");
    InputStream in = new ByteArrayInputStream(out.toByteArray());
    assertEquals("{\"a\":1}", MessageFraming.read(in));
    assertEquals("{\"b\":2}", MessageFraming.read(in));
    assertNull(MessageFraming.read(in));
  }

  @Test
  void headersAreCaseInsensitiveAndOthersIgnored() throws IOException {
    String msg = "content-type: application/vscode-jsonrpc; charset=utf-8\r\nCONTENT-LENGTH: 2\r\n\r\n{}";
    assertEquals("{}", MessageFraming.read(stream(msg)));
  }

  @Test
  void missingContentLengthIsAProtocolError() {
    assertThrows(ProtocolException.class, () -> MessageFraming.read(stream("Content-Type: x\r\n\r\n{}")));
  }

  @Test
  void malformedHeadersAreProtocolErrors() {
    assertThrows(ProtocolException.class, () -> MessageFraming.read(stream("garbage\r\n\r\n")));
    assertThrows(ProtocolException.class, () -> MessageFraming.read(stream("Content-Length: abc\r\n\r\n")));
    assertThrows(ProtocolException.class, () -> MessageFraming.read(stream("Content-Length: -4\r\n\r\n")));
    assertThrows(
        ProtocolException.class,
        () -> MessageFraming.read(stream("Content-Length: " + (MessageFraming.MAX_BODY_BYTES + 1) + "\r\n\r\n")));
  }

  @Test
  void truncatedBodyOrHeaderIsEof() {
    assertThrows(EOFException.class, () -> MessageFraming.read(stream("Content-Length: 10\r\n\r\n{}")));
    assertThrows(EOFException.class, () -> MessageFraming.read(stream("Content-Length: 10\r\n")));
  }
}
