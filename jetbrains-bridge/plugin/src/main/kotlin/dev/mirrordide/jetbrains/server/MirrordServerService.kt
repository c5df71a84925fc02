package dev.mirrordide.jetbrains.server

import com.intellij.openapi.Disposable
import com.intellij.openapi.application.ApplicationManager
import com.intellij.openapi.components.Service
import com.intellij.openapi.diagnostic.logger
import com.intellij.openapi.project.Project
import dev.mirrordide.core.api.MirrordApi
import dev.mirrordide.core.launch.MirrordServerLauncher
import dev.mirrordide.core.launch.ServerCommand
import dev.mirrordide.core.lsp.LspClient
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
        val started = LspClient.start(
            command().argv(),
            environment(),
            project.basePath?.let { Path.of(it) },
            MirrordSettings.getInstance(project).serverSection(),
            Duration.ofSeconds(30),
        ) { line -> log.debug("mirrord-ide: $line") }
        client = started
        return MirrordApi(started)
    }

    /** Drops the current server; its orderly shutdown runs off the calling (possibly UI) thread. */
    @Synchronized
    fun restart() {
        val old = client ?: return
        client = null
        ApplicationManager.getApplication().executeOnPooledThread { old.close() }
    }

    override fun dispose() {
        synchronized(this) {
            client?.close()
            client = null
        }
    }

    companion object {
        fun getInstance(project: Project): MirrordServerService = project.getService(MirrordServerService::class.java)
    }
}
