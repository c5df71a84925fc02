package dev.mirrordide.jetbrains.run

import com.intellij.openapi.project.Project
import dev.mirrordide.core.picker.RecentChoices
import dev.mirrordide.jetbrains.settings.MirrordSettings

/**
 * The last target per run configuration, kube context and namespace, kept in the project's
 * workspace settings (`MirrordSettings.State.recentChoices`, in the core's encoding: see
 * [RecentChoices.over]).
 */
object ProjectRecentChoices {
    fun of(project: Project): RecentChoices =
        RecentChoices.over(MirrordSettings.getInstance(project).state.recentChoices, RecentChoices.DEFAULT_LIMIT)
}
