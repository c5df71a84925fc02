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
import dev.mirrordide.core.launch.MirrordServerLauncher
import dev.mirrordide.core.launch.ServerCommand
import dev.mirrordide.core.lsp.LspClient
import dev.mirrordide.core.session.SessionNotices
import dev.mirrordide.core.session.SessionRegistry
import dev.mirrordide.jetbrains.settings.MirrordSettings
import java.nio.file.Path
import java.time.Duration

/**
 * The project's `mirrord-ide serve` process for run-time requests (targets, sessions). Started on
 * first use, restarted when it died or the settings changed, shut down with the project. Blocking:
 * call from background threads only.
 */
@Service(Service.Level.PROJECT)
class MirrordServerService(private val project: Project) : Disposable {
    private val log = logger<MirrordServerService>()
    private var client: LspClient? = null
    private var registry: SessionRegistry? = null

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

    @Synchronized
    fun api(): MirrordApi {
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
        // Sessions the server ends (agent gone, CLI exited) are reported once, with the reason.
        registry = SessionRegistry(api) { session, ended ->
            val notice = SessionNotices.ended(ended, session.info())
            val type = if (notice.level() == SessionNotices.Level.WARNING) NotificationType.WARNING else NotificationType.INFORMATION
            NotificationGroupManager.getInstance().getNotificationGroup("mirrord").createNotification(notice.text(), type).notify(project)
        }
        return api
    }

    /** The live sessions of the current server (started by [api]). */
    @Synchronized
    fun sessions(): SessionRegistry? = registry

    /** Sends the engine settings to the running server (`workspace/didChangeConfiguration`). */
    @Synchronized
    fun pushEngineSettings() {
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
        val old = client ?: return
        client = null
        registry?.close()
        registry = null
        ApplicationManager.getApplication().executeOnPooledThread { old.close() }
    }

    override fun dispose() {
        synchronized(this) {
            registry?.close()
            registry = null
            client?.close()
            client = null
        }
    }

    companion object {
        fun getInstance(project: Project): MirrordServerService = project.getService(MirrordServerService::class.java)
    }
}
