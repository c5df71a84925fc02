package dev.mirrordide.jetbrains.actions

import com.intellij.openapi.actionSystem.ActionUpdateThread
import com.intellij.openapi.actionSystem.AnActionEvent
import com.intellij.openapi.project.DumbAwareToggleAction
import dev.mirrordide.jetbrains.settings.MirrordSettings

/** Turns mirrord on or off for this project's runs (toolbar and Tools menu). */
class ToggleMirrordAction : DumbAwareToggleAction() {
    override fun getActionUpdateThread(): ActionUpdateThread = ActionUpdateThread.BGT

    override fun isSelected(e: AnActionEvent): Boolean =
        e.project?.let { MirrordSettings.getInstance(it).state.enabled } ?: false

    override fun setSelected(e: AnActionEvent, state: Boolean) {
        val project = e.project ?: return
        MirrordSettings.getInstance(project).state.enabled = state
    }

    override fun update(e: AnActionEvent) {
        super.update(e)
        e.presentation.isEnabled = e.project != null
        e.presentation.text = if (isSelected(e)) "Disable mirrord" else "Enable mirrord"
    }
}
