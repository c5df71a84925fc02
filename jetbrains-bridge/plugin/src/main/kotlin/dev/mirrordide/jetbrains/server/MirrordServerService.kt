package dev.mirrordide.jetbrains.server

import com.intellij.openapi.Disposable
import com.intellij.openapi.application.ApplicationManager
import com.intellij.openapi.components.Service
import com.intellij.notification.NotificationGroupManager
import com.intellij.notification.NotificationType
import com.intellij.openapi.diagnostic.logger
import com.intellij.openapi.project.Project
import com.google.gson.JsonObject
import dev.mirrordide.core.api.MirrordApi
import dev.mirrordide.core.api.SessionEnded
import dev.mirrordide.core.config.KubeContext
import dev.mirrordide.core.launch.MirrordServerLauncher
import dev.mirrordide.core.launch.ServerCommand
import dev.mirrordide.core.lsp.LspClient
import dev.mirrordide.core.session.MirrordSession
import dev.mirrordide.core.session.SessionNotices
import dev.mirrordide.core.session.SessionRegistry
import dev.mirrordide.jetbrains.settings.MirrordSettings
import java.nio.file.Path
import java.time.Duration

/**
 * Where run-time requests (targets, sessions, config edits) go. With LSP4IJ installed: the server
 * LSP4IJ runs for the editor ([ManagedServer]), so the project has one `mirrord-ide serve`
 * process. Without it (the platform LSP API, or no editor integration): a process of this service,
 * started on first use, restarted when it died or the settings changed, shut down with the
 * project. Blocking: call from background threads only.
 */
@Service(Service.Level.PROJECT)
class MirrordServerService(private val project: Project) : Disposable {
    private val log = logger<MirrordServerService>()
    private var client: LspClient? = null
    private var registry: SessionRegistry? = null
    /** The registry of the managed server's channel (one channel per project, across restarts). */
    private var managedRegistry: SessionRegistry? = null

    /** The server command per the settings (also used by the diagnostics integrations). */
    fun command(): ServerCommand =
        MirrordServerLauncher.forCurrentSystem().resolve(MirrordSettings.getInstance(project).state.serverPath)

    /** Environment for the server: the kubeconfig setting, as kubectl would read it. */
    fun environment(): Map<String, String> {
        val kubeconfig = MirrordSettings.getInstance(project).state.kubeconfig
        return if (kubeconfig.isBlank()) emptyMap() else mapOf("KUBECONFIG" to expand(kubeconfig))
    }

    private fun expand(path: String): String {
        val base = project.basePath ?: return path
        val p = path.replace("\$PROJECT_DIR\$", base).let {
            if (it == "~" || it.startsWith("~/")) System.getProperty("user.home") + it.substring(1) else it
        }
        // Relative paths are the project's, never the IDE's working directory.
        return Path.of(base).resolve(p).normalize().toString()
    }

    /** The kube context the server lists targets from, to key recent choices by cluster. */
    fun kubeContext(): String? {
        val settings = MirrordSettings.getInstance(project).state
        val kubeconfig = settings.kubeconfig.takeIf { it.isNotBlank() }?.let(::expand)
        return KubeContext.resolve(settings.context, kubeconfig, System.getenv(), Path.of(System.getProperty("user.home")))
            .orElse(null)
    }

    @Synchronized
    fun api(): MirrordApi {
        val managed = ManagedServer.of(project)?.channel(START_TIMEOUT_SECONDS)
        if (managed != null) {
            val api = MirrordApi(managed)
            if (managedRegistry == null) managedRegistry = SessionRegistry(api, ::notifyEnded)
            return api
        }
        val current = client
        if (current != null && current.isAlive) return MirrordApi(current)
        current?.close()
        registry?.close()
        registry = null
        val started = LspClient.start(
            command().argv(),
            environment(),
            project.basePath?.let { Path.of(it) },
            MirrordSettings.getInstance(project).serverSection(),
            Duration.ofSeconds(30),
        ) { line -> log.debug("mirrord-ide: $line") }
        client = started
        val api = MirrordApi(started)
        registry = SessionRegistry(api, ::notifyEnded)
        return api
    }

    /** Sessions the server ends (agent gone, CLI exited) are reported once, with the reason. */
    private fun notifyEnded(session: MirrordSession, ended: SessionEnded) {
        val notice = SessionNotices.ended(ended, session.info())
        val type = if (notice.level() == SessionNotices.Level.WARNING) NotificationType.WARNING else NotificationType.INFORMATION
        NotificationGroupManager.getInstance().getNotificationGroup("mirrord").createNotification(notice.text(), type).notify(project)
    }

    /** The live sessions of the server [api] last returned. */
    @Synchronized
    fun sessions(): SessionRegistry? = if (client?.isAlive == true) registry else managedRegistry ?: registry

    /** Sends the engine settings to the running server (`workspace/didChangeConfiguration`). */
    @Synchronized
    fun pushEngineSettings() {
        ManagedServer.of(project)?.let { managed ->
            val section = MirrordSettings.getInstance(project).engineSection()
            ApplicationManager.getApplication().executeOnPooledThread {
                runCatching { managed.pushSettings(section) }
                    .onFailure { log.warn("could not send the engine settings to mirrord-ide", it) }
            }
        }
        val current = client?.takeIf { it.isAlive } ?: return
        val settings = JsonObject().apply { add("mirrord", MirrordSettings.getInstance(project).engineSection()) }
        val params = JsonObject().apply { add("settings", settings) }
        ApplicationManager.getApplication().executeOnPooledThread {
            runCatching { current.notify("workspace/didChangeConfiguration", params) }
                .onFailure { log.warn("could not send the engine settings to mirrord-ide", it) }
        }
    }

    /** Drops the current server; its orderly shutdown runs off the calling (possibly UI) thread. */
    @Synchronized
    fun restart() {
        ManagedServer.of(project)?.let { managed ->
            // Its sessions go with the server; the next api() call starts a new registry.
            managedRegistry?.close()
            managedRegistry = null
            ApplicationManager.getApplication().executeOnPooledThread {
                runCatching { managed.restart() }.onFailure { log.warn("could not restart mirrord-ide", it) }
            }
        }
        val old = client ?: return
        client = null
        registry?.close()
        registry = null
        ApplicationManager.getApplication().executeOnPooledThread { old.close() }
    }

    override fun dispose() {
        synchronized(this) {
            managedRegistry?.close()
            managedRegistry = null
            registry?.close()
            registry = null
            client?.close()
            client = null
        }
    }

    companion object {
        private const val START_TIMEOUT_SECONDS = 30L

        fun getInstance(project: Project): MirrordServerService = project.getService(MirrordServerService::class.java)
    }
}
