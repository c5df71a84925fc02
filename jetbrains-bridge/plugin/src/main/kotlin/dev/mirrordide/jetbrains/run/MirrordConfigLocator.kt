package dev.mirrordide.jetbrains.run

import com.intellij.openapi.project.Project
import dev.mirrordide.core.config.ConfigFileNames
import java.nio.file.Files
import java.nio.file.Path
import kotlin.io.path.isRegularFile
import kotlin.io.path.name

/**
 * The mirrord config for a run: the run configuration's `MIRRORD_CONFIG_FILE`, else the setting,
 * else the alphabetically first config in the project's `.mirrord/` folder. Relative paths are the
 * project's (never the IDE's working directory); `$PROJECT_DIR$` and `~` are expanded.
 */
object MirrordConfigLocator {
    fun find(project: Project, runEnv: Map<String, String>, setting: String): Path? {
        val base = project.basePath?.let { Path.of(it) } ?: return null
        val explicit = runEnv["MIRRORD_CONFIG_FILE"]?.takeIf { it.isNotBlank() } ?: setting.takeIf { it.isNotBlank() }
        if (explicit != null) {
            val expanded = explicit.trim().replace("\$PROJECT_DIR\$", base.toString()).let {
                if (it == "~" || it.startsWith("~/")) System.getProperty("user.home") + it.substring(1) else it
            }
            return base.resolve(expanded).normalize()
        }
        val folder = base.resolve(ConfigFileNames.FOLDER)
        if (!Files.isDirectory(folder)) return null
        return Files.list(folder).use { files ->
            files.filter { it.isRegularFile() && ConfigFileNames.isConfigFile(ConfigFileNames.FOLDER, it.name) }
                .sorted()
                .findFirst()
                .orElse(null)
        }
    }
}
