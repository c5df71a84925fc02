package dev.mirrordide.jetbrains.run

import com.intellij.execution.CommonProgramRunConfigurationParameters
import com.intellij.execution.configurations.RunConfiguration

/** Which run configurations mirrord handles, and the env they declare. */
object RunConfigurationSupport {
    /** Types whose language extension (see the optional plugin configs) injects the env. */
    private val supportedTypeIds = setOf(
        "Application", "JUnit", "TestNG", "GradleRunConfiguration", "MavenRunConfiguration",
        "SpringBootApplicationConfigurationType", "KtorApplicationConfigurationType",
        "JetRunConfigurationType", "KotlinStandaloneScriptRunConfigurationType",
        "PythonConfigurationType", "tests", "PyTestConfigurationType", "DjangoTestsConfigurationType",
        "GoApplicationRunConfiguration", "GoTestRunConfiguration",
        "NodeJSConfigurationType", "js.build_tools.npm", "JavaScriptTestRunnerJest", "mocha-javascript-test-runner",
    )

    fun isSupported(configuration: RunConfiguration): Boolean =
        configuration.type.id in supportedTypeIds || configuration is CommonProgramRunConfigurationParameters

    /** The configuration's own variables and whether it passes the IDE's environment on. */
    fun env(configuration: RunConfiguration): Pair<Map<String, String>, Boolean> {
        if (configuration is CommonProgramRunConfigurationParameters) {
            return configuration.envs.toMap() to configuration.isPassParentEnvs
        }
        // Python, Go and Node configurations expose the same pair without the common interface.
        val envs = runCatching {
            @Suppress("UNCHECKED_CAST")
            configuration.javaClass.getMethod("getEnvs").invoke(configuration) as? Map<String, String>
        }.getOrNull().orEmpty()
        val passParent = runCatching {
            configuration.javaClass.getMethod("isPassParentEnvs").invoke(configuration) as? Boolean
        }.getOrNull() ?: true
        return envs.toMap() to passParent
    }

    /** Identifies the configuration for the remembered target choice. */
    fun key(configuration: RunConfiguration): String = configuration.type.id + ":" + configuration.name
}
