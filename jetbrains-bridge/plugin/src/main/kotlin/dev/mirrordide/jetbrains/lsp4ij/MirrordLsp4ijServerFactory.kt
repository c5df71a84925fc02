package dev.mirrordide.jetbrains.lsp4ij

import com.intellij.execution.configurations.GeneralCommandLine
import com.intellij.openapi.project.Project
import com.intellij.openapi.vfs.VirtualFile
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
    // LSP4IJ 0.12.0 (the version gradle.properties pins), LanguageServerFactory:
    //   @NotNull StreamConnectionProvider createConnectionProvider(@NotNull Project project)
    override fun createConnectionProvider(project: Project): StreamConnectionProvider {
        val service = MirrordServerService.getInstance(project)
        val commandLine = GeneralCommandLine(service.command().argv())
            .withEnvironment(service.environment())
            .withWorkDirectory(project.basePath)
        // LSP4IJ 0.12.0: OSProcessStreamConnectionProvider(@Nullable GeneralCommandLine commandLine)
        return object : OSProcessStreamConnectionProvider(commandLine) {
            // LSP4IJ 0.12.0, StreamConnectionProvider:
            //   default Object getInitializationOptions(VirtualFile rootUri)
            override fun getInitializationOptions(rootUri: VirtualFile?): Any =
                mapOf("mirrord" to MirrordSettings.getInstance(project).serverSection().asMap().mapValues { it.value.asString })
        }
    }

    // LSP4IJ 0.12.0, LanguageServerEnablementSupport:
    //   boolean isEnabled(@NotNull Project project)
    //   void setEnabled(boolean enabled, @NotNull Project project)
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
