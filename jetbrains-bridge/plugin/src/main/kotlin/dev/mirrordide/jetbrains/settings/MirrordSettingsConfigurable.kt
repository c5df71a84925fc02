package dev.mirrordide.jetbrains.settings

import com.intellij.openapi.fileChooser.FileChooserDescriptorFactory
import com.intellij.openapi.options.Configurable
import com.intellij.openapi.project.Project
import com.intellij.openapi.ui.ComboBox
import com.intellij.openapi.ui.TextFieldWithBrowseButton
import com.intellij.ui.components.JBCheckBox
import com.intellij.ui.components.JBTextField
import com.intellij.util.ui.FormBuilder
import dev.mirrordide.jetbrains.server.MirrordServerService
import javax.swing.JComponent
import javax.swing.JSpinner
import javax.swing.SpinnerNumberModel

/** Settings | Tools | mirrord. */
class MirrordSettingsConfigurable(private val project: Project) : Configurable {
    private val enabled = JBCheckBox("Run and debug with mirrord")
    private val serverPath = TextFieldWithBrowseButton().apply {
        addBrowseFolderListener(project, FileChooserDescriptorFactory.createSingleFileNoJarsDescriptor()
            .withTitle("mirrord-ide Executable or Python Interpreter"))
    }
    private val kubeconfig = TextFieldWithBrowseButton().apply {
        addBrowseFolderListener(project, FileChooserDescriptorFactory.createSingleFileNoJarsDescriptor()
            .withTitle("Kubeconfig"))
    }
    private val context = JBTextField()
    private val engine = ComboBox(MirrordSettings.ENGINES.toTypedArray())
    private val cliPath = TextFieldWithBrowseButton().apply {
        addBrowseFolderListener(project, FileChooserDescriptorFactory.createSingleFileNoJarsDescriptor()
            .withTitle("mirrord CLI"))
    }
    private val configPath = JBTextField()
    private val timeout = JSpinner(SpinnerNumberModel(180, 10, 3600, 10))

    override fun getDisplayName(): String = "mirrord"

    override fun createComponent(): JComponent = FormBuilder.createFormBuilder()
        .addComponent(enabled)
        .addLabeledComponent("mirrord-ide (blank: search PATH):", serverPath)
        .addLabeledComponent("Kubeconfig (blank: KUBECONFIG):", kubeconfig)
        .addLabeledComponent("Context (blank: current):", context)
        .addLabeledComponent("Engine (auto: the mirrord CLI when found):", engine)
        .addLabeledComponent("mirrord CLI (blank: PATH):", cliPath)
        .addLabeledComponent("Config file (blank: .mirrord/):", configPath)
        .addLabeledComponent("Launch timeout (seconds):", timeout)
        .addComponentFillVertically(javax.swing.JPanel(), 0)
        .panel

    private val settings get() = MirrordSettings.getInstance(project).state

    override fun isModified(): Boolean = enabled.isSelected != settings.enabled ||
        serverPath.text != settings.serverPath ||
        kubeconfig.text != settings.kubeconfig ||
        context.text != settings.context ||
        engine.selectedItem != settings.engine ||
        cliPath.text != settings.cliPath ||
        configPath.text != settings.configPath ||
        (timeout.value as Int) != settings.launchTimeoutSeconds

    override fun apply() {
        val restart = serverPath.text != settings.serverPath ||
            kubeconfig.text != settings.kubeconfig || context.text != settings.context
        settings.enabled = enabled.isSelected
        settings.serverPath = serverPath.text.trim()
        settings.kubeconfig = kubeconfig.text.trim()
        settings.context = context.text.trim()
        val engineChanged = engine.selectedItem != settings.engine || cliPath.text.trim() != settings.cliPath
        settings.engine = engine.selectedItem as? String ?: "auto"
        settings.cliPath = cliPath.text.trim()
        settings.configPath = configPath.text.trim()
        settings.launchTimeoutSeconds = timeout.value as Int
        if (restart) {
            // The next request starts a server with the new settings.
            MirrordServerService.getInstance(project).restart()
        } else if (engineChanged) {
            // The running server takes the engine settings live; its sessions keep running.
            MirrordServerService.getInstance(project).pushEngineSettings()
        }
    }

    override fun reset() {
        enabled.isSelected = settings.enabled
        serverPath.text = settings.serverPath
        kubeconfig.text = settings.kubeconfig
        context.text = settings.context
        engine.selectedItem = settings.engine.takeIf { it in MirrordSettings.ENGINES } ?: "auto"
        cliPath.text = settings.cliPath
        configPath.text = settings.configPath
        timeout.value = settings.launchTimeoutSeconds
    }
}
