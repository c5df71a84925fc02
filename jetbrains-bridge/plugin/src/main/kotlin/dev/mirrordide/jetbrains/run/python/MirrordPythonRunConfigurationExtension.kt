package dev.mirrordide.jetbrains.run.python

import com.intellij.execution.configurations.GeneralCommandLine
import com.intellij.execution.configurations.RunnerSettings
import com.jetbrains.python.run.AbstractPythonRunConfiguration
import com.jetbrains.python.run.PythonRunConfigurationExtension
import dev.mirrordide.jetbrains.run.MirrordLaunchRegistry

/** Python configurations: applies the prepared env to the command line. */
class MirrordPythonRunConfigurationExtension : PythonRunConfigurationExtension() {
    override fun isApplicableFor(configuration: AbstractPythonRunConfiguration<*>): Boolean = true

    override fun isEnabledFor(applicableConfiguration: AbstractPythonRunConfiguration<*>, runnerSettings: RunnerSettings?): Boolean = true

    override fun patchCommandLine(
        configuration: AbstractPythonRunConfiguration<*>,
        runnerSettings: RunnerSettings?,
        cmdLine: GeneralCommandLine,
        runnerId: String,
    ) {
        val prepared = MirrordLaunchRegistry.getInstance(configuration.project).forConfiguration(configuration) ?: return
        cmdLine.environment.putAll(prepared.env)
        // mirrord's layer skips the debugger's own port when it knows the debugger.
        if (runnerId.contains("Debug", ignoreCase = true)) {
            cmdLine.environment.putIfAbsent("MIRRORD_DETECT_DEBUGGER_PORT", "pydevd")
        }
    }
}
