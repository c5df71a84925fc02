package dev.mirrordide.core.lsp;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;

/**
 * A JSON-RPC error response. For {@code mirrord/*} requests {@code data} is {@code {"kind",
 * "message", "hint"?}}; {@link #kind()} and {@link #hint()} read it.
 */
public final class ResponseErrorException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public static final int PARSE_ERROR = -32700;
  public static final int INVALID_REQUEST = -32600;
  public static final int METHOD_NOT_FOUND = -32601;
  public static final int INVALID_PARAMS = -32602;
  public static final int INTERNAL_ERROR = -32603;
  public static final int REQUEST_CANCELLED = -32800;

  private final int code;
  private final transient JsonElement data;

  public ResponseErrorException(int code, String message, JsonElement data) {
    super(message == null ? "error " + code : message);
    this.code = code;
    this.data = data;
  }

  public int code() {
    return code;
  }

  /** The raw {@code data} member, or null. */
  public JsonElement data() {
    return data;
  }

  public ErrorKind kind() {
    if (code == REQUEST_CANCELLED) {
      return ErrorKind.CANCELLED;
    }
    return ErrorKind.fromWire(dataString("kind"));
  }

  /** What the user can do about it, when the server said. */
  public String hint() {
    return dataString("hint");
  }

  /** The user-facing message: {@code data.message} when present, else the error's message. */
  public String userMessage() {
    String m = dataString("message");
    return m != null ? m : getMessage();
  }

  public boolean isMethodNotFound() {
    return code == METHOD_NOT_FOUND;
  }

  private String dataString(String key) {
    if (data instanceof JsonObject o && o.has(key) && o.get(key).isJsonPrimitive()) {
      return o.get(key).getAsString();
    }
    return null;
  }

  @Override
  public String toString() {
    String h = hint();
    return "ResponseError(" + code + ", " + kind().wireName() + "): " + userMessage()
        + (h != null ? " [hint: " + h + "]" : "");
  }
}
