package dev.mirrordide.core.lsp;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * The LSP base protocol: a header block ({@code Content-Length: N}, optional other headers, each
 * line ending in CRLF), an empty line, then N bytes of UTF-8 JSON.
 */
public final class MessageFraming {
  /** Larger bodies are refused: a broken peer must not make the client allocate gigabytes. */
  public static final int MAX_BODY_BYTES = 64 * 1024 * 1024;

  private static final int MAX_HEADER_LINE = 8 * 1024;

  private MessageFraming() {}

  /** Frames {@code json} and writes it in one call; the caller serialises concurrent writers. */
  public static void write(OutputStream out, String json) throws IOException {
    byte[] body = json.getBytes(StandardCharsets.UTF_8);
    byte[] header = ("Content-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
    byte[] frame = new byte[header.length + body.length];
    System.arraycopy(header, 0, frame, 0, header.length);
    System.arraycopy(body, 0, frame, header.length, body.length);
    out.write(frame);
    out.flush();
  }

  /**
   * Reads one message body.
   *
   * @return the JSON text, or {@code null} on a clean end of stream between messages
   * @throws ProtocolException on a malformed or missing header
   * @throws EOFException when the stream ends inside a message
   */
  public static String read(InputStream in) throws IOException {
    int length = -1;
    boolean sawAnyHeader = false;
    while (true) {
      String line = readHeaderLine(in, sawAnyHeader);
      if (line == null) {
        return null;
      }
      if (line.isEmpty()) {
        if (!sawAnyHeader) {
          continue; // tolerate stray blank lines between messages
        }
        break;
      }
      sawAnyHeader = true;
      int colon = line.indexOf(':');
      if (colon <= 0) {
        throw new ProtocolException("malformed header line: " + abbreviate(line));
      }
      String name = line.substring(0, colon).trim().toLowerCase(Locale.ROOT);
      String value = line.substring(colon + 1).trim();
      if (name.equals("content-length")) {
        try {
          length = Integer.parseInt(value);
        } catch (NumberFormatException e) {
          throw new ProtocolException("invalid Content-Length: " + abbreviate(value));
        }
        if (length < 0 || length > MAX_BODY_BYTES) {
          throw new ProtocolException("Content-Length out of range: " + length);
        }
      }
      // Content-Type and unknown headers are ignored, as the base protocol allows.
    }
    if (length < 0) {
      throw new ProtocolException("message without Content-Length header");
    }
    byte[] body = in.readNBytes(length);
    if (body.length < length) {
      throw new EOFException("stream ended after " + body.length + " of " + length + " body bytes");
    }
    return new String(body, StandardCharsets.UTF_8);
  }

  /** One CRLF- (or LF-) terminated ASCII line without its terminator; null on EOF at a boundary. */
  private static String readHeaderLine(InputStream in, boolean insideHeader) throws IOException {
    ByteArrayOutputStream buf = new ByteArrayOutputStream(64);
    while (true) {
      int b = in.read();
      if (b < 0) {
        if (buf.size() == 0 && !insideHeader) {
          return null;
        }
        throw new EOFException("stream ended inside a message header");
      }
      if (b == '\n') {
        break;
      }
      buf.write(b);
      if (buf.size() > MAX_HEADER_LINE) {
        throw new ProtocolException("header line longer than " + MAX_HEADER_LINE + " bytes");
      }
    }
    String line = buf.toString(StandardCharsets.US_ASCII);
    return line.endsWith("\r") ? line.substring(0, line.length() - 1) : line;
  }

  private static String abbreviate(String s) {
    return s.length() <= 80 ? s : s.substring(0, 80) + "...";
  }
}
