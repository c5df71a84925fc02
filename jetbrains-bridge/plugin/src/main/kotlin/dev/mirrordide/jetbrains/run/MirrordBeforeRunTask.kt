package dev.mirrordide.jetbrains.run

import com.intellij.execution.BeforeRunTask
import com.intellij.execution.BeforeRunTaskProvider
import com.intellij.execution.configurations.RunConfiguration
import com.intellij.execution.runners.ExecutionEnvironment
import com.intellij.openapi.actionSystem.DataContext
import com.intellij.openapi.util.Key

/** The hidden step that runs the target dialog and starts the agent before the process starts. */
class MirrordBeforeRunTask : BeforeRunTask<MirrordBeforeRunTask>(MirrordBeforeRunTaskProvider.ID) {
    init {
        isEnabled = true
    }
}

/**
 * Registered so the platform can run [MirrordBeforeRunTask]; it offers nothing in the "Before
 * launch" list ([createTask] returns null): [MirrordExecutionListener] adds the task for the one
 * execution and removes it again. The platform runs before-run tasks on a pooled thread, outside
 * any read action, which is what lets the dialog appear.
 */
class MirrordBeforeRunTaskProvider : BeforeRunTaskProvider<MirrordBeforeRunTask>() {
    override fun getId(): Key<MirrordBeforeRunTask> = ID

    override fun getName(): String = "mirrord"

    override fun getDescription(task: MirrordBeforeRunTask): String = "Start mirrord"

    override fun createTask(runConfiguration: RunConfiguration): MirrordBeforeRunTask? = null

    override fun executeTask(
        context: DataContext,
        configuration: RunConfiguration,
        environment: ExecutionEnvironment,
        task: MirrordBeforeRunTask,
    ): Boolean = MirrordPreLaunch(environment.project).run(configuration, environment)

    companion object {
        val ID: Key<MirrordBeforeRunTask> = Key.create("dev.mirrordide.jetbrains.BeforeRunTask")
    }
}
