package dev.mirrordide.jetbrains.run

import com.intellij.execution.ExecutionListener
import com.intellij.execution.configurations.RunConfiguration
import com.intellij.execution.process.ProcessEvent
import com.intellij.execution.process.ProcessHandler
import com.intellij.execution.process.ProcessListener
import com.intellij.execution.runners.ExecutionEnvironment
import com.intellij.openapi.project.Project
import dev.mirrordide.jetbrains.settings.MirrordSettings

/**
 * Adds the hidden mirrord step to an execution when mirrord is enabled, and ties the session to
 * the process: stopped on termination, or when the process never started.
 */
class MirrordExecutionListener(private val project: Project) : ExecutionListener {
    override fun processStartScheduled(executorId: String, env: ExecutionEnvironment) {
        if (!MirrordSettings.getInstance(project).state.enabled) return
        val configuration = env.runProfile as? RunConfiguration ?: return
        if (!RunConfigurationSupport.isSupported(configuration)) return
        if (env.executionId == 0L) env.assignNewExecutionId()
        val tasks = configuration.beforeRunTasks
        if (tasks.none { it is MirrordBeforeRunTask }) {
            // Last, so builds and other steps run first and the agent is not kept waiting.
            configuration.beforeRunTasks = tasks + MirrordBeforeRunTask()
        }
    }

    override fun processStarting(executorId: String, env: ExecutionEnvironment) {
        removeTask(env)
    }

    override fun processStarted(executorId: String, env: ExecutionEnvironment, handler: ProcessHandler) {
        removeTask(env)
        val registry = MirrordLaunchRegistry.getInstance(project)
        if (registry.forExecution(env.executionId) == null) return
        val executionId = env.executionId
        handler.addProcessListener(object : ProcessListener {
            override fun processTerminated(event: ProcessEvent) {
                registry.release(executionId)
            }
        })
        if (handler.isProcessTerminated) registry.release(executionId)
    }

    override fun processNotStarted(executorId: String, env: ExecutionEnvironment) {
        removeTask(env)
        MirrordLaunchRegistry.getInstance(project).release(env.executionId)
    }

    override fun processTerminated(executorId: String, env: ExecutionEnvironment, handler: ProcessHandler, exitCode: Int) {
        MirrordLaunchRegistry.getInstance(project).release(env.executionId)
    }

    /** The step is per execution: never left in (or saved with) the configuration. */
    private fun removeTask(env: ExecutionEnvironment) {
        val configuration = env.runProfile as? RunConfiguration ?: return
        val tasks = configuration.beforeRunTasks
        if (tasks.any { it is MirrordBeforeRunTask }) {
            configuration.beforeRunTasks = tasks.filterNot { it is MirrordBeforeRunTask }
        }
    }
}
