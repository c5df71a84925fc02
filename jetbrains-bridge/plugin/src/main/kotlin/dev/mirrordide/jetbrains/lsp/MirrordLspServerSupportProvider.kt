package dev.mirrordide.jetbrains.lsp

import com.intellij.execution.configurations.GeneralCommandLine
import com.intellij.openapi.project.Project
import com.intellij.openapi.vfs.VirtualFile
import com.intellij.platform.lsp.api.LspServerSupportProvider
import com.intellij.platform.lsp.api.ProjectWideLspServerDescriptor
import dev.mirrordide.core.config.ConfigFileNames
import dev.mirrordide.core.lsp.PlainJson
import dev.mirrordide.jetbrains.server.ManagedServer
import dev.mirrordide.jetbrains.server.MirrordServerService
import dev.mirrordide.jetbrains.settings.MirrordSettings

/**
 * Config diagnostics, completion and hover through the IntelliJ Platform LSP API, where LSP4IJ is
 * not installed or its mirrord server is disabled (otherwise that server serves the editor and
 * the run requests: one process per project). Here run requests use a process of their own ([MirrordServerService]). Written against
 * the names declared before the 2026.1.4 rename (LspServerSupportProvider,
 * ProjectWideLspServerDescriptor): still declared (deprecated) after it, so one build works on
 * both sides. Unlike LSP4IJ's name patterns this also matches files in `.mirrord/` folders.
 */
class MirrordLspServerSupportProvider : LspServerSupportProvider {
    override fun fileOpened(
        project: Project,
        file: VirtualFile,
        serverStarter: LspServerSupportProvider.LspServerStarter,
    ) {
        // LSP4IJ's server serves the editor wherever it is installed and enabled.
        if (ManagedServer.of(project)?.isEnabled() == true) return
        if (isMirrordConfig(file)) serverStarter.ensureServerStarted(MirrordLspServerDescriptor(project))
    }
}

internal fun isMirrordConfig(file: VirtualFile): Boolean = ConfigFileNames.isConfigFile(file.parent?.name, file.name)

class MirrordLspServerDescriptor(project: Project) : ProjectWideLspServerDescriptor(project, "mirrord") {
    override fun isSupportedFile(file: VirtualFile): Boolean = isMirrordConfig(file)

    override fun createCommandLine(): GeneralCommandLine {
        val service = MirrordServerService.getInstance(project)
        return GeneralCommandLine(service.command().argv())
            .withEnvironment(service.environment())
            .withWorkDirectory(project.basePath)
    }

    override fun createInitializationOptions(): Any =
        mapOf("mirrord" to PlainJson.toPlain(MirrordSettings.getInstance(project).serverSection()))
}
