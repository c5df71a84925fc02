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
        cmdLine.environment.keys.removeAll(prepared.unset)
        if (prepared.unset.isNotEmpty() && cmdLine.parentEnvironmentType != GeneralCommandLine.ParentEnvironmentType.NONE) {
            val parent = cmdLine.parentEnvironment
            if (prepared.unset.any { it in parent }) {
                // A name the process would inherit can only go by passing the whole environment.
                val full = LinkedHashMap(parent).apply {
                    keys.removeAll(prepared.unset)
                    putAll(cmdLine.environment)
                }
                cmdLine.environment.clear()
                cmdLine.environment.putAll(full)
                cmdLine.withParentEnvironmentType(GeneralCommandLine.ParentEnvironmentType.NONE)
            }
        }
        // mirrord's layer skips the debugger's own port when it knows the debugger.
        if (runnerId.contains("Debug", ignoreCase = true)) {
            cmdLine.environment.putIfAbsent("MIRRORD_DETECT_DEBUGGER_PORT", "pydevd")
        }
    }
}
