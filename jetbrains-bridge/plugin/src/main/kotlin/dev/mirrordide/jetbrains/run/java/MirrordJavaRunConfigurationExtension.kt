package dev.mirrordide.jetbrains.run.java

import com.intellij.execution.RunConfigurationExtension
import com.intellij.execution.configurations.JavaParameters
import com.intellij.execution.configurations.RunConfigurationBase
import com.intellij.execution.configurations.RunnerSettings
import com.intellij.execution.process.ProcessEvent
import com.intellij.execution.process.ProcessHandler
import com.intellij.execution.process.ProcessListener
import com.intellij.openapi.externalSystem.service.execution.ExternalSystemRunConfiguration
import com.intellij.util.EnvironmentUtil
import dev.mirrordide.jetbrains.run.MirrordLaunchRegistry
import java.util.concurrent.ConcurrentHashMap

/**
 * Java, Gradle and Maven configurations. `updateJavaParameters` runs under a read action where no
 * dialog may be shown, so it only applies what the before-run task prepared.
 *
 * Gradle and Maven run through the external-system runner, which takes only the VM parameters from
 * the [JavaParameters] filled here: their env lives in the configuration's
 * `ExternalSystemTaskExecutionSettings.env`. For those the prepared env is put there for this run
 * and the configuration's own env is put back when the process ends.
 */
class MirrordJavaRunConfigurationExtension : RunConfigurationExtension() {
    /** The external-system configurations changed for a run, with the env to put back. */
    private val restoreAfterRun = ConcurrentHashMap<RunConfigurationBase<*>, Map<String, String>>()

    override fun isApplicableFor(configuration: RunConfigurationBase<*>): Boolean = true

    override fun <T : RunConfigurationBase<*>> updateJavaParameters(
        configuration: T,
        params: JavaParameters,
        runnerSettings: RunnerSettings?,
    ) {
        val prepared = MirrordLaunchRegistry.getInstance(configuration.project).forConfiguration(configuration) ?: return
        if (configuration is ExternalSystemRunConfiguration) {
            val settings = configuration.settings
            val own = settings.env.toMap()
            restoreAfterRun.putIfAbsent(configuration, own)
            // The external system passes the IDE's environment on; names to unset can only be removed
            // from what is set here.
            settings.env = LinkedHashMap(own).apply {
                putAll(prepared.env)
                keys.removeAll(prepared.unset)
            }
            return
        }
        val env = LinkedHashMap(params.env).apply {
            putAll(prepared.env)
            keys.removeAll(prepared.unset)
        }
        if (params.isPassParentEnvs && prepared.unset.isNotEmpty()) {
            // A name the process would inherit can only go by passing the whole environment.
            val parent = EnvironmentUtil.getEnvironmentMap()
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

    override fun attachToProcess(
        configuration: RunConfigurationBase<*>,
        handler: ProcessHandler,
        runnerSettings: RunnerSettings?,
    ) {
        if (configuration !is ExternalSystemRunConfiguration) return
        val own = restoreAfterRun.remove(configuration) ?: return
        // The configuration is saved with the project: never leave the session's env in it.
        handler.addProcessListener(object : ProcessListener {
            override fun processTerminated(event: ProcessEvent) {
                configuration.settings.env = own
            }
        })
    }
}
