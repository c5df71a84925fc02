package dev.mirrordide.jetbrains.lsp4ij

import com.intellij.execution.configurations.GeneralCommandLine
import com.intellij.openapi.project.Project
import com.redhat.devtools.lsp4ij.LanguageServerEnablementSupport
import com.redhat.devtools.lsp4ij.LanguageServerFactory
import com.redhat.devtools.lsp4ij.server.OSProcessStreamConnectionProvider
import com.redhat.devtools.lsp4ij.server.StreamConnectionProvider
import dev.mirrordide.jetbrains.server.MirrordServerService
import dev.mirrordide.jetbrains.settings.MirrordSettings

/**
 * Config diagnostics through LSP4IJ, for IDEs without the platform LSP API (Community editions,
 * Android Studio). Disabled where the platform API serves the same files.
 */
class MirrordLsp4ijServerFactory : LanguageServerFactory, LanguageServerEnablementSupport {
    override fun createConnectionProvider(project: Project): StreamConnectionProvider {
        val service = MirrordServerService.getInstance(project)
        val commandLine = GeneralCommandLine(service.command().argv())
            .withEnvironment(service.environment())
            .withWorkDirectory(project.basePath)
        return object : OSProcessStreamConnectionProvider(commandLine) {
            override fun getInitializationOptions(rootUri: java.net.URI?): Any =
                mapOf("mirrord" to MirrordSettings.getInstance(project).serverSection().asMap().mapValues { it.value.asString })
        }
    }

    override fun isEnabled(project: Project): Boolean = !platformLspAvailable

    override fun setEnabled(enabled: Boolean, project: Project) {
        // Follows the platform: nothing to store.
    }

    private companion object {
        val platformLspAvailable: Boolean = runCatching {
            Class.forName("com.intellij.platform.lsp.api.LspServerSupportProvider")
        }.isSuccess
    }
}
