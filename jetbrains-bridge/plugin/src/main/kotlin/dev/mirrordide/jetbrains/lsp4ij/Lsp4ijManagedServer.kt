package dev.mirrordide.jetbrains.lsp4ij

import com.google.gson.JsonElement
import com.google.gson.JsonObject
import com.intellij.openapi.diagnostic.logger
import com.intellij.openapi.project.Project
import com.redhat.devtools.lsp4ij.LanguageServerManager
import com.redhat.devtools.lsp4ij.LanguageServersRegistry
import com.redhat.devtools.lsp4ij.ServerStatus
import dev.mirrordide.core.lsp.ConnectionClosedException
import dev.mirrordide.core.lsp.HostedChannel
import dev.mirrordide.core.lsp.PlainJson
import dev.mirrordide.core.lsp.ResponseErrorException
import dev.mirrordide.core.lsp.ServerStartException
import dev.mirrordide.jetbrains.server.ManagedServer
import org.eclipse.lsp4j.DidChangeConfigurationParams
import org.eclipse.lsp4j.jsonrpc.Endpoint
import org.eclipse.lsp4j.services.LanguageServer
import java.util.concurrent.CancellationException
import java.util.concurrent.CompletableFuture
import java.util.concurrent.CompletionException
import java.util.concurrent.ExecutionException
import java.util.concurrent.TimeUnit
import java.util.concurrent.TimeoutException
import org.eclipse.lsp4j.jsonrpc.ResponseErrorException as Lsp4jResponseError

/**
 * Run requests through the server LSP4IJ manages for the editor (server id [SERVER_ID]), so the
 * project has one `mirrord-ide serve` process. Requests go out with LSP4J's generic
 * `Endpoint.request` on LSP4IJ's proxy; what the server sends back comes in through
 * [MirrordLanguageClient]. Values cross as plain JDK types ([PlainJson]).
 */
class Lsp4ijManagedServer(private val project: Project) : ManagedServer {
    private val log = logger<Lsp4ijManagedServer>()

    val channel = HostedChannel(object : HostedChannel.Transport {
        override fun request(method: String, params: JsonElement): CompletableFuture<JsonElement> = send(method, params)

        override fun notify(method: String, params: JsonElement) {
            val server = runningServer() ?: return
            // LSP4J 0.21.1, Endpoint: void notify(String method, Object parameter)
            (server as Endpoint).notify(method, PlainJson.toPlain(params))
        }
    })

    override fun channel(timeoutSeconds: Long): HostedChannel? =
        if (server(timeoutSeconds) == null) null else channel

    // LSP4IJ 0.12.0: LanguageServersRegistry.getInstance();
    //   @Nullable LanguageServerDefinition getServerDefinition(@NotNull String languageServerId);
    //   LanguageServerDefinition: public boolean isEnabled(@NotNull Project project)
    override fun isEnabled(): Boolean =
        LanguageServersRegistry.getInstance().getServerDefinition(SERVER_ID)?.isEnabled(project) == true

    override fun restart() {
        // LSP4IJ 0.12.0, LanguageServerManager: public void start(@NotNull String languageServerId)
        // (restarts a started server; a server never started starts with the next mirrord file or request).
        if (status() == ServerStatus.started) LanguageServerManager.getInstance(project).start(SERVER_ID)
    }

    override fun pushSettings(settings: JsonObject) {
        val server = runningServer() ?: return
        val params = DidChangeConfigurationParams(mapOf("mirrord" to PlainJson.toPlain(settings)))
        // LSP4J 0.21.1: WorkspaceService.didChangeConfiguration(DidChangeConfigurationParams params);
        //   DidChangeConfigurationParams(@NonNull Object settings)
        server.workspaceService.didChangeConfiguration(params)
    }

    /** The server if LSP4IJ has it running now (never starts one). */
    private fun runningServer(): LanguageServer? = if (status() == ServerStatus.started) server(5) else null

    // LSP4IJ 0.12.0, LanguageServerManager: public static LanguageServerManager getInstance(@NotNull Project project);
    //   @Nullable public ServerStatus getServerStatus(@NotNull String languageServerId)
    //   (enum ServerStatus { none, starting, started, stopping, stopped })
    private fun status(): ServerStatus? = LanguageServerManager.getInstance(project).getServerStatus(SERVER_ID)

    /**
     * The initialized server, started if needed; null when LSP4IJ will not run it (the user disabled
     * it). Blocking.
     */
    private fun server(timeoutSeconds: Long): LanguageServer? {
        // LSP4IJ 0.12.0, LanguageServerManager:
        //   public CompletableFuture<@Nullable LanguageServerItem> getLanguageServer(@NotNull String languageServerId)
        //   (starts the server when it is enabled and not running; completes with null when it is disabled)
        // LSP4IJ 0.12.0, LanguageServerItem: public LanguageServer getServer()
        val item = try {
            LanguageServerManager.getInstance(project).getLanguageServer(SERVER_ID).get(timeoutSeconds, TimeUnit.SECONDS)
        } catch (e: TimeoutException) {
            throw ServerStartException("the mirrord language server did not start within $timeoutSeconds s (LSP4IJ)", "", e)
        } catch (e: ExecutionException) {
            throw ServerStartException("the mirrord language server could not start (LSP4IJ): ${e.cause?.message ?: e}", "", e.cause ?: e)
        }
        return item?.server
    }

    private fun send(method: String, params: JsonElement): CompletableFuture<JsonElement> {
        val server: LanguageServer?
        try {
            server = server(START_TIMEOUT_SECONDS)
        } catch (e: ServerStartException) {
            return CompletableFuture.failedFuture(ConnectionClosedException(e.message, e))
        }
        if (server == null) {
            return CompletableFuture.failedFuture(ConnectionClosedException(
                "the mirrord language server is disabled in LSP4IJ (Settings | Languages & Frameworks | Language Servers)", null))
        }
        val result = CompletableFuture<JsonElement>()
        // LSP4J 0.21.1: Launcher.Builder.createProxy → ServiceEndpoints.toServiceObject(endpoint, interface), whose proxy
        //   implements {interface, Endpoint}; Endpoint: CompletableFuture<?> request(String method, Object parameter).
        //   Cancelling the returned future sends $/cancelRequest (RemoteEndpoint.request).
        @Suppress("UNCHECKED_CAST")
        val sent = (server as Endpoint).request(method, PlainJson.toPlain(params)) as CompletableFuture<Any?>
        sent.whenComplete { value, error ->
            if (error == null) {
                try {
                    result.complete(PlainJson.toJsonTree(value))
                } catch (e: IllegalArgumentException) {
                    result.completeExceptionally(e)
                }
            } else {
                result.completeExceptionally(translate(error))
            }
        }
        // MirrordApi cancels the future it got (a launch cancelled from the progress dialog): pass it on.
        result.whenComplete { _, error -> if (error is CancellationException) sent.cancel(true) }
        return result
    }

    private fun translate(error: Throwable): Throwable {
        val e = if (error is CompletionException && error.cause != null) error.cause!! else error
        return when (e) {
            // LSP4J 0.21.1: ResponseErrorException.getResponseError(): ResponseError {int getCode(); String getMessage();
            //   Object getData()} (data read as a JsonElement of LSP4J's Gson)
            is Lsp4jResponseError -> e.responseError.let { ResponseErrorException(it.code, it.message, dataOf(it.data)) }
            is CancellationException -> e
            else -> ConnectionClosedException("the mirrord language server (LSP4IJ) did not answer: ${e.message ?: e}", e)
        }
    }

    private fun dataOf(data: Any?): JsonElement? = try {
        PlainJson.toJsonTree(data)
    } catch (e: IllegalArgumentException) {
        log.debug("unreadable error data from mirrord-ide", e)
        null
    }

    companion object {
        /** The id `mirrord-lsp4ij.xml` declares for the server. */
        const val SERVER_ID = "mirrordIde"
        private const val START_TIMEOUT_SECONDS = 30L

        fun getInstance(project: Project): Lsp4ijManagedServer =
            project.getService(ManagedServer::class.java) as Lsp4ijManagedServer
    }
}
