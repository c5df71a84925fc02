package dev.mirrordide.jetbrains.run

import com.intellij.openapi.project.Project
import dev.mirrordide.core.picker.RecentChoice
import dev.mirrordide.core.picker.RecentChoices
import dev.mirrordide.jetbrains.settings.MirrordSettings
import java.util.Optional

/** The last target per run configuration, kept in the project's workspace settings. */
class ProjectRecentChoices(private val project: Project) : RecentChoices {
    private val map get() = MirrordSettings.getInstance(project).state.recentChoices

    override fun get(runConfigKey: String): Optional<RecentChoice> {
        val stored = map[runConfigKey] ?: return Optional.empty()
        val namespace = stored.substringBefore(SEP).ifEmpty { null }
        val target = stored.substringAfter(SEP, "").ifEmpty { null }
        return Optional.of(RecentChoice(namespace, target))
    }

    override fun put(runConfigKey: String, choice: RecentChoice) {
        map[runConfigKey] = (choice.namespace() ?: "") + SEP + (choice.target() ?: "")
    }

    private companion object {
        const val SEP = "\u0000"
    }
}
