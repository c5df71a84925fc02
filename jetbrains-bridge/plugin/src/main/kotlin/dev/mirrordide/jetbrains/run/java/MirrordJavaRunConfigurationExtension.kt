package dev.mirrordide.jetbrains.run.java

import com.intellij.execution.RunConfigurationExtension
import com.intellij.execution.configurations.JavaParameters
import com.intellij.execution.configurations.RunConfigurationBase
import com.intellij.execution.configurations.RunnerSettings
import dev.mirrordide.jetbrains.run.MirrordLaunchRegistry

/**
 * Java, Gradle and Maven configurations. `updateJavaParameters` runs under a read action where no
 * dialog may be shown, so it only applies what the before-run task prepared.
 */
class MirrordJavaRunConfigurationExtension : RunConfigurationExtension() {
    override fun isApplicableFor(configuration: RunConfigurationBase<*>): Boolean = true

    override fun <T : RunConfigurationBase<*>> updateJavaParameters(
        configuration: T,
        params: JavaParameters,
        runnerSettings: RunnerSettings?,
    ) {
        val prepared = MirrordLaunchRegistry.getInstance(configuration.project).forConfiguration(configuration) ?: return
        val env = LinkedHashMap(params.env).apply {
            putAll(prepared.env)
            keys.removeAll(prepared.unset)
        }
        if (params.isPassParentEnvs && prepared.unset.isNotEmpty()) {
            // A name the process would inherit can only go by passing the whole environment.
            val parent = com.intellij.util.EnvironmentUtil.getEnvironmentMap()
            if (prepared.unset.any { it in parent }) {
                params.env = LinkedHashMap(parent).apply {
                    keys.removeAll(prepared.unset)
                    putAll(env)
                }
                params.isPassParentEnvs = false
                return
            }
        }
        params.env = env
    }
}
