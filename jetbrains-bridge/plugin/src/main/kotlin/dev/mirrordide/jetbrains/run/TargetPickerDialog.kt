package dev.mirrordide.jetbrains.run

import com.intellij.openapi.project.Project
import com.intellij.openapi.ui.DialogWrapper
import com.intellij.ui.ColoredListCellRenderer
import com.intellij.ui.DocumentAdapter
import com.intellij.ui.DoubleClickListener
import com.intellij.ui.SearchTextField
import com.intellij.ui.SimpleTextAttributes
import com.intellij.ui.components.JBList
import com.intellij.ui.components.JBScrollPane
import com.intellij.util.ui.JBUI
import dev.mirrordide.core.picker.PickerDialogModel
import dev.mirrordide.core.picker.PickerEntry
import dev.mirrordide.core.picker.PickerOutcome
import java.awt.BorderLayout
import java.awt.event.ActionEvent
import java.awt.event.MouseEvent
import javax.swing.AbstractAction
import javax.swing.Action
import javax.swing.DefaultListModel
import javax.swing.JComponent
import javax.swing.JList
import javax.swing.JPanel
import javax.swing.ListSelectionModel
import javax.swing.event.DocumentEvent

/**
 * The target dialog: the model's sections as one filterable list (section titles as headers),
 * unavailable targets greyed with their reason, namespace rows that reload the list. OK on a row
 * chooses it; Cancel, Esc or closing aborts the run. "Save to Config" writes the selected target
 * (or targetless) into the mirrord config through [onSave] and leaves the dialog open. Shown on the
 * EDT; everything it needs is in the model, so it never waits for the server.
 */
class TargetPickerDialog(
    project: Project,
    runName: String,
    private val model: PickerDialogModel,
    private val onSave: ((PickerOutcome.Selected) -> Unit)? = null,
) : DialogWrapper(project, true) {

    /** A header or an entry. */
    private sealed interface Row {
        data class Header(val title: String) : Row
        data class Item(val entry: PickerEntry) : Row
    }

    private val rows = DefaultListModel<Row>()
    private val list = JBList(rows)
    private val filter = SearchTextField(false)
    private val saveAction = object : AbstractAction("Save to Config") {
        override fun actionPerformed(e: ActionEvent) {
            model.saveChoice(selectedEntry()).ifPresent { choice -> onSave?.invoke(choice) }
        }
    }

    init {
        title = "mirrord: Target for '$runName' (namespace ${model.namespace() ?: "default"})"
        setOKButtonText("Run")
        list.selectionMode = ListSelectionModel.SINGLE_SELECTION
        list.cellRenderer = Renderer()
        list.addListSelectionListener { updateActions() }
        object : DoubleClickListener() {
            override fun onDoubleClick(event: MouseEvent): Boolean {
                if (selectedEntry()?.selectable() != true) return false
                doOKAction()
                return true
            }
        }.installOn(list)
        filter.addDocumentListener(object : DocumentAdapter() {
            override fun textChanged(e: DocumentEvent) = fill(filter.text)
        })
        fill(null)
        init()
    }

    private fun fill(text: String?) {
        val keep = selectedEntry() ?: model.initialSelection().orElse(null)
        rows.clear()
        for (section in model.filtered(text)) {
            section.title()?.let { rows.addElement(Row.Header(it)) }
            section.entries().forEach { rows.addElement(Row.Item(it)) }
        }
        val index = (0 until rows.size()).firstOrNull { (rows[it] as? Row.Item)?.entry == keep }
            ?: (0 until rows.size()).firstOrNull { (rows[it] as? Row.Item)?.entry?.selectable() == true }
        if (index != null) {
            list.selectedIndex = index
            list.ensureIndexIsVisible(index)
        }
        updateActions()
    }

    private fun updateActions() {
        okAction.isEnabled = selectedEntry()?.selectable() == true
        saveAction.isEnabled = onSave != null && model.saveChoice(selectedEntry()).isPresent
    }

    // DialogWrapper (intellij-community, platform 2024.3): protected Action @NotNull [] createLeftSideActions()
    override fun createLeftSideActions(): Array<Action> = if (onSave != null) arrayOf(saveAction) else emptyArray()

    private fun selectedEntry(): PickerEntry? = (list.selectedValue as? Row.Item)?.entry

    override fun createCenterPanel(): JComponent = JPanel(BorderLayout(0, JBUI.scale(6))).apply {
        add(filter, BorderLayout.NORTH)
        add(JBScrollPane(list).apply { preferredSize = JBUI.size(560, 380) }, BorderLayout.CENTER)
    }

    override fun getPreferredFocusedComponent(): JComponent = filter

    /** Blocks (modal) and maps the button pressed to an outcome. */
    fun showAndGetOutcome(): PickerOutcome {
        if (!showAndGet()) return model.cancel()
        val entry = selectedEntry() ?: return model.cancel()
        return if (entry.selectable()) model.choose(entry) else model.cancel()
    }

    private class Renderer : ColoredListCellRenderer<Row>() {
        override fun customizeCellRenderer(list: JList<out Row>, value: Row?, index: Int, selected: Boolean, hasFocus: Boolean) {
            when (value) {
                is Row.Header -> append(value.title, SimpleTextAttributes.GRAYED_BOLD_ATTRIBUTES)
                is Row.Item -> {
                    val e = value.entry
                    val attrs = when {
                        e.kind() == PickerEntry.Kind.MESSAGE -> SimpleTextAttributes.ERROR_ATTRIBUTES
                        !e.selectable() -> SimpleTextAttributes.GRAYED_ATTRIBUTES
                        e.recent() || e.kind() == PickerEntry.Kind.TARGETLESS -> SimpleTextAttributes.REGULAR_BOLD_ATTRIBUTES
                        else -> SimpleTextAttributes.REGULAR_ATTRIBUTES
                    }
                    append("  " + e.label(), attrs)
                    e.description()?.let { append("  $it", SimpleTextAttributes.GRAYED_ATTRIBUTES) }
                    e.reason()?.let { append("  ($it)", SimpleTextAttributes.GRAYED_ITALIC_ATTRIBUTES) }
                    if (e.kind() == PickerEntry.Kind.NAMESPACE) append("  ->", SimpleTextAttributes.GRAYED_ATTRIBUTES)
                    toolTipText = e.detail()
                }
                null -> {}
            }
        }
    }
}
