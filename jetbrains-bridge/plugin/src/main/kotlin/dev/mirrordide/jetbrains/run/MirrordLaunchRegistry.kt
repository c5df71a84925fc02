package dev.mirrordide.jetbrains.run

import com.intellij.execution.configurations.RunConfiguration
import com.intellij.openapi.components.Service
import com.intellij.openapi.project.Project
import dev.mirrordide.core.session.MirrordSession
import java.util.concurrent.ConcurrentHashMap

/**
 * Hands a prepared launch (session and merged env) from the before-run task to the language's
 * run-configuration extension, per execution. The extensions see the configuration (Java, Python,
 * Go) or the execution environment (Node), so both keys are kept.
 */
@Service(Service.Level.PROJECT)
class MirrordLaunchRegistry {
    /** [env]: the variables to set; [unset]: names the process must not have, inherited ones included. */
    class Prepared(
        val executionId: Long,
        val configuration: RunConfiguration,
        val session: MirrordSession,
        val env: Map<String, String>,
        val unset: Set<String> = emptySet(),
    )

    private val byExecution = ConcurrentHashMap<Long, Prepared>()

    fun put(prepared: Prepared) {
        byExecution[prepared.executionId] = prepared
    }

    fun forExecution(executionId: Long): Prepared? = byExecution[executionId]

    /** The newest prepared launch of this configuration (identity first, then same name and type). */
    fun forConfiguration(configuration: RunConfiguration): Prepared? {
        val all = byExecution.values.sortedByDescending { it.executionId }
        return all.firstOrNull { it.configuration === configuration }
            ?: all.firstOrNull { it.configuration.name == configuration.name && it.configuration.type.id == configuration.type.id }
    }

    /** Forgets the execution and stops its session (idempotent). */
    fun release(executionId: Long) {
        byExecution.remove(executionId)?.session?.stop()
    }

    companion object {
        fun getInstance(project: Project): MirrordLaunchRegistry = project.getService(MirrordLaunchRegistry::class.java)
    }
}
