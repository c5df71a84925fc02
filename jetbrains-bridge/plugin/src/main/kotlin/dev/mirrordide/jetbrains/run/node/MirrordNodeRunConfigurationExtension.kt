package dev.mirrordide.jetbrains.run.node

import com.intellij.execution.runners.ExecutionEnvironment
import com.intellij.javascript.nodejs.execution.AbstractNodeTargetRunProfile
import com.intellij.javascript.nodejs.execution.NodeTargetRun
import com.intellij.javascript.nodejs.execution.runConfiguration.AbstractNodeRunConfigurationExtension
import com.intellij.javascript.nodejs.execution.runConfiguration.NodeRunConfigurationLaunchSession
import com.intellij.openapi.options.SettingsEditor
import dev.mirrordide.jetbrains.run.MirrordLaunchRegistry

/** Node.js configurations: this hook sees the execution, so the hand-over is by execution id. */
class MirrordNodeRunConfigurationExtension : AbstractNodeRunConfigurationExtension() {
    // RunConfigurationExtensionBase<T> (intellij-community, platform 2024.3):
    //   public abstract boolean isApplicableFor(@NotNull T configuration)
    //   protected <P extends T> SettingsEditor<P> createEditor(@NotNull P configuration)
    // T is AbstractNodeTargetRunProfile here (the type isApplicableFor takes), so P is bounded by it.
    override fun isApplicableFor(profile: AbstractNodeTargetRunProfile): Boolean = true

    override fun <P : AbstractNodeTargetRunProfile> createEditor(configuration: P): SettingsEditor<P>? = null

    override fun getEditorTitle(): String? = null

    override fun createLaunchSession(
        configuration: AbstractNodeTargetRunProfile,
        environment: ExecutionEnvironment,
    ): NodeRunConfigurationLaunchSession? {
        val prepared = MirrordLaunchRegistry.getInstance(environment.project).forExecution(environment.executionId)
            ?: return null
        return object : NodeRunConfigurationLaunchSession() {
            override fun addNodeOptionsTo(targetRun: NodeTargetRun) {
                prepared.env.forEach { (k, v) -> targetRun.commandLineBuilder.addEnvironmentVariable(k, v) }
                prepared.unset.forEach { targetRun.commandLineBuilder.removeEnvironmentVariable(it) }
            }
        }
    }
}
