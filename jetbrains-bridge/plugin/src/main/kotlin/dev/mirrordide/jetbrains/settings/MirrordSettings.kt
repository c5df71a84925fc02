package dev.mirrordide.jetbrains.settings

import com.google.gson.JsonObject
import com.intellij.openapi.components.PersistentStateComponent
import com.intellij.openapi.components.Service
import com.intellij.openapi.components.State
import com.intellij.openapi.components.Storage
import com.intellij.openapi.components.StoragePathMacros
import com.intellij.openapi.project.Project
import com.intellij.util.xmlb.XmlSerializerUtil

/** Per-project mirrord settings, stored in the workspace file (they hold local paths). */
@Service(Service.Level.PROJECT)
@State(name = "MirrordIdeSettings", storages = [Storage(StoragePathMacros.WORKSPACE_FILE)])
class MirrordSettings : PersistentStateComponent<MirrordSettings.State> {
    class State {
        var enabled: Boolean = false
        /** A `mirrord-ide` executable or a Python interpreter that has it; blank: search. */
        var serverPath: String = ""
        /** Kubeconfig for the cluster; blank: KUBECONFIG or ~/.kube/config. */
        var kubeconfig: String = ""
        var context: String = ""
        /** Config file relative to the project; blank: MIRRORD_CONFIG_FILE, then .mirrord/. */
        var configPath: String = ""
        var launchTimeoutSeconds: Int = 180
        /** Which engine runs sessions: auto (the mirrord CLI when found), mirrord-cli or builtin. */
        var engine: String = "auto"
        /** The mirrord CLI to drive; blank: `mirrord` on PATH, then the IDE extensions' copies. */
        var cliPath: String = ""
        /**
         * Last target choices per run configuration, kube context and namespace, written and read by
         * the core's `RecentChoices.over` (JSON key and value, so the workspace XML stays valid).
         */
        var recentChoices: MutableMap<String, String> = mutableMapOf()
    }

    private var state = State()

    override fun getState(): State = state

    override fun loadState(loaded: State) {
        XmlSerializerUtil.copyBean(loaded, state)
    }

    /** The `mirrord` settings section the language server reads. */
    fun serverSection(): JsonObject = JsonObject().apply {
        if (state.kubeconfig.isNotBlank()) addProperty("kubeconfig", state.kubeconfig.trim())
        if (state.context.isNotBlank()) addProperty("context", state.context.trim())
        addProperty("engine", engine())
        if (state.cliPath.isNotBlank()) addProperty("cliPath", state.cliPath.trim())
    }

    /** The session settings the running server takes live; an empty value drops the setting. */
    fun engineSection(): JsonObject = JsonObject().apply {
        addProperty("engine", engine())
        addProperty("cliPath", state.cliPath.trim())
    }

    private fun engine(): String = state.engine.trim().takeIf { it in ENGINES } ?: "auto"

    companion object {
        val ENGINES = listOf("auto", "mirrord-cli", "builtin")

        fun getInstance(project: Project): MirrordSettings = project.getService(MirrordSettings::class.java)
    }
}
