package dev.mirrordide.jetbrains.lsp4ij

import com.intellij.execution.configurations.GeneralCommandLine
import com.intellij.openapi.project.Project
import com.intellij.openapi.vfs.VirtualFile
import com.redhat.devtools.lsp4ij.LanguageServerFactory
import com.redhat.devtools.lsp4ij.client.LanguageClientImpl
import com.redhat.devtools.lsp4ij.server.OSProcessStreamConnectionProvider
import com.redhat.devtools.lsp4ij.server.StreamConnectionProvider
import dev.mirrordide.core.lsp.PlainJson
import dev.mirrordide.jetbrains.server.MirrordServerService
import dev.mirrordide.jetbrains.settings.MirrordSettings
import org.eclipse.lsp4j.services.LanguageServer

/**
 * The project's `mirrord-ide serve` process wherever LSP4IJ is installed: config diagnostics for
 * the editor and, through [Lsp4ijManagedServer], the run requests (targets, sessions, config
 * edits), so a project has one server process. The platform LSP integration stands down then.
 */
class MirrordLsp4ijServerFactory : LanguageServerFactory {
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
                mapOf("mirrord" to PlainJson.toPlain(MirrordSettings.getInstance(project).serverSection()))
        }
    }

    // LSP4IJ 0.12.0, LanguageServerFactory:
    //   @NotNull default LanguageClientImpl createLanguageClient(@NotNull Project project)
    override fun createLanguageClient(project: Project): LanguageClientImpl = MirrordLanguageClient(project)

    // LSP4IJ 0.12.0, LanguageServerFactory:
    //   @NotNull default Class<? extends LanguageServer> getServerInterface()
    override fun getServerInterface(): Class<out LanguageServer> = MirrordLanguageServerApi::class.java
}
