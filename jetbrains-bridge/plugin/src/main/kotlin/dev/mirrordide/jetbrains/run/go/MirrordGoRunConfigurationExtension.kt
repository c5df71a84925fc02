package dev.mirrordide.jetbrains.run.go

import com.goide.execution.GoRunConfigurationBase
import com.goide.execution.GoRunningState
import com.goide.execution.extension.GoRunConfigurationExtension
import com.intellij.execution.configurations.RunnerSettings
import com.intellij.execution.target.TargetedCommandLineBuilder
import dev.mirrordide.jetbrains.run.MirrordLaunchRegistry

/** Go configurations: applies the prepared env to the command line. */
class MirrordGoRunConfigurationExtension : GoRunConfigurationExtension() {
    override fun isApplicableFor(configuration: GoRunConfigurationBase<*>): Boolean = true

    override fun isEnabledFor(applicableConfiguration: GoRunConfigurationBase<*>, runnerSettings: RunnerSettings?): Boolean = true

    override fun patchCommandLine(
        configuration: GoRunConfigurationBase<*>,
        runnerSettings: RunnerSettings?,
        cmdLine: TargetedCommandLineBuilder,
        runnerId: String,
        state: GoRunningState<out GoRunConfigurationBase<*>>,
        commandLineType: GoRunningState.CommandLineType,
    ) {
        // Only the program itself, not `go build`.
        if (commandLineType != GoRunningState.CommandLineType.RUN) return
        val prepared = MirrordLaunchRegistry.getInstance(configuration.project).forConfiguration(configuration) ?: return
        prepared.env.forEach { (k, v) -> cmdLine.addEnvironmentVariable(k, v) }
        prepared.unset.forEach { cmdLine.removeEnvironmentVariable(it) }
    }
}
