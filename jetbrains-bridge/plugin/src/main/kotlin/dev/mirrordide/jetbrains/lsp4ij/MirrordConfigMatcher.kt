package dev.mirrordide.jetbrains.lsp4ij

import com.intellij.openapi.project.Project
import com.intellij.openapi.vfs.VirtualFile
import com.redhat.devtools.lsp4ij.DocumentMatcher
import dev.mirrordide.core.config.ConfigFileNames

/**
 * Which JSON/TOML/YAML files the mirrord server serves: the contract's config names, including
 * files in a `.mirrord/` folder, which LSP4IJ's file-name patterns cannot express.
 */
class MirrordConfigMatcher : DocumentMatcher {
    // LSP4IJ 0.12.0, DocumentMatcher: boolean match(@NotNull VirtualFile file, @NotNull Project project)
    override fun match(file: VirtualFile, project: Project): Boolean =
        ConfigFileNames.isConfigFile(file.parent?.name, file.name)
}
