package dev.mirrordide.core.lsp;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** The server side of an in-memory connection: reads what the client sends, writes what the test says. */
public final class FakePeer implements AutoCloseable {
  public final JsonRpcConnection client;
  private final OutputStream toClient;
  private final BlockingQueue<JsonObject> received = new LinkedBlockingQueue<>();
  private final Thread reader;

  public FakePeer() throws IOException {
    PipedInputStream clientIn = new PipedInputStream(1 << 16);
    toClient = new PipedOutputStream(clientIn);
    PipedInputStream serverIn = new PipedInputStream(1 << 16);
    OutputStream clientOut = new PipedOutputStream(serverIn);
    client = new JsonRpcConnection(clientIn, clientOut, "test");
    reader = new Thread(() -> readLoop(serverIn), "fake-peer");
    reader.setDaemon(true);
    reader.start();
  }

  private void readLoop(InputStream in) {
    try {
      String text;
      while ((text = MessageFraming.read(in)) != null) {
        received.add(JsonParser.parseString(text).getAsJsonObject());
      }
    } catch (IOException e) {
      // closed
    }
  }

  /** The next message the client sent, failing after 5 s. */
  public JsonObject next() throws InterruptedException {
    JsonObject m = received.poll(5, TimeUnit.SECONDS);
    if (m == null) {
      throw new AssertionError("client sent nothing within 5 s");
    }
    return m;
  }

  /** The next message with this method (skipping others). */
  public JsonObject nextWithMethod(String method) throws InterruptedException {
    while (true) {
      JsonObject m = next();
      if (m.has("method") && m.get("method").getAsString().equals(method)) {
        return m;
      }
    }
  }

  public JsonObject poll(long millis) throws InterruptedException {
    return received.poll(millis, TimeUnit.MILLISECONDS);
  }

  public void send(String json) throws IOException {
    MessageFraming.write(toClient, json);
  }

  public void send(JsonObject msg) throws IOException {
    send(msg.toString());
  }

  public void closeServerSide() throws IOException {
    toClient.close();
  }

  @Override
  public void close() throws IOException {
    client.close();
    toClient.close();
    reader.interrupt();
  }
}
