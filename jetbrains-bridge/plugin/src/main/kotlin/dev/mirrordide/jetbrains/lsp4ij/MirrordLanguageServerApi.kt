package dev.mirrordide.jetbrains.lsp4ij

import org.eclipse.lsp4j.jsonrpc.services.JsonRequest
import org.eclipse.lsp4j.services.LanguageServer
import java.util.concurrent.CompletableFuture

/**
 * The server interface LSP4IJ builds its proxy from. The requests are sent generically (LSP4J
 * `Endpoint.request`, see [Lsp4ijManagedServer]); they are declared here because LSP4J 0.21.1 (the
 * version LSP4IJ 0.12.0 bundles) reads a response's result with the return type of the method
 * declared for it, and drops the result of an undeclared method
 * (`MessageTypeAdapter.parseResult` → `fromJson(JsonElement, null)` returns null). `Any` keeps
 * every value plain (maps, lists, strings, numbers), so no Gson class crosses from LSP4IJ's class
 * loader. Every `mirrord/*` request of the contract must be listed.
 */
interface MirrordLanguageServerApi : LanguageServer {
    // LSP4J 0.21.1: @interface JsonRequest { String value() default ""; boolean useSegment() default true; }
    @JsonRequest("mirrord/listNamespaces")
    fun listNamespaces(params: Any?): CompletableFuture<Any?>

    @JsonRequest("mirrord/listTargets")
    fun listTargets(params: Any?): CompletableFuture<Any?>

    @JsonRequest("mirrord/targetPickerItems")
    fun targetPickerItems(params: Any?): CompletableFuture<Any?>

    @JsonRequest("mirrord/startSession")
    fun startSession(params: Any?): CompletableFuture<Any?>

    @JsonRequest("mirrord/stopSession")
    fun stopSession(params: Any?): CompletableFuture<Any?>

    @JsonRequest("mirrord/listSessions")
    fun listSessions(params: Any?): CompletableFuture<Any?>

    @JsonRequest("mirrord/setTarget")
    fun setTarget(params: Any?): CompletableFuture<Any?>
}
