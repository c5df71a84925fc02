package dev.mirrordide.jetbrains.server

import com.google.gson.JsonObject
import com.intellij.openapi.project.Project
import dev.mirrordide.core.lsp.HostedChannel

/**
 * The language server an IDE LSP client manages (LSP4IJ), used for run requests too so that a
 * project has one `mirrord-ide serve` process. Declared here without any LSP4IJ type; the
 * implementation is registered by `mirrord-lsp4ij.xml`, which loads only when LSP4IJ is installed.
 */
interface ManagedServer {
    /**
     * The channel to the managed server, started if needed. Blocking (up to [timeoutSeconds]): call
     * from a background thread. Null when that server will not serve this project (the user
     * disabled it in LSP4IJ); then the caller runs its own process.
     */
    fun channel(timeoutSeconds: Long): HostedChannel?

    /** Whether the managed server is enabled for this project (then it also serves the editor). */
    fun isEnabled(): Boolean

    /** Restarts the managed server (its command or cluster settings changed). */
    fun restart()

    /** Sends `workspace/didChangeConfiguration` with these settings to a running server. */
    fun pushSettings(settings: JsonObject)

    companion object {
        /** The managed server, or null where no IDE LSP client that allows custom requests is loaded. */
        fun of(project: Project): ManagedServer? =
            // IntelliJ Platform, ComponentManager (intellij-community platform/extensions):
            //   <T> T getService(@NotNull Class<T> serviceClass)
            // Null when no implementation is registered (no LSP4IJ); a failure is taken as the same.
            runCatching { project.getService(ManagedServer::class.java) }.getOrNull()
    }
}
