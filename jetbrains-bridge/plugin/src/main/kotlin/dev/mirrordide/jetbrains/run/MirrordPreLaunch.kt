package dev.mirrordide.jetbrains.run

import com.intellij.execution.configurations.RunConfiguration
import com.intellij.execution.runners.ExecutionEnvironment
import com.intellij.notification.NotificationGroupManager
import com.intellij.notification.NotificationAction
import com.intellij.notification.NotificationType
import com.intellij.ide.util.PropertiesComponent
import com.intellij.openapi.options.ShowSettingsUtil
import com.intellij.openapi.application.ApplicationManager
import com.intellij.openapi.application.ModalityState
import com.intellij.openapi.progress.ProgressIndicator
import com.intellij.openapi.progress.ProgressManager
import com.intellij.openapi.project.Project
import com.intellij.util.EnvironmentUtil
import dev.mirrordide.core.api.MirrordApi
import dev.mirrordide.core.api.MirrordRequestException
import dev.mirrordide.core.config.TargetSaver
import dev.mirrordide.core.launch.ServerNotFoundException
import dev.mirrordide.core.lsp.ErrorKind
import dev.mirrordide.core.lsp.ProgressEvent
import dev.mirrordide.core.lsp.ServerStartException
import dev.mirrordide.core.picker.PickerOutcome
import dev.mirrordide.core.picker.PickerView
import dev.mirrordide.core.picker.TargetPickerFlow
import dev.mirrordide.core.session.LaunchResult
import dev.mirrordide.core.session.SessionLauncher
import dev.mirrordide.core.session.SessionNotices
import dev.mirrordide.jetbrains.settings.MirrordSettingsConfigurable
import dev.mirrordide.jetbrains.server.MirrordServerService
import dev.mirrordide.jetbrains.settings.MirrordSettings
import java.nio.file.Path
import java.time.Duration
import java.util.concurrent.CancellationException
import java.util.concurrent.CompletableFuture
import java.util.concurrent.CompletionException
import java.util.concurrent.Executor
import java.util.concurrent.ExecutionException
import java.util.concurrent.TimeUnit
import java.util.concurrent.TimeoutException
import java.util.concurrent.atomic.AtomicReference

/**
 * The before-run work: target dialog, agent launch with modal, cancellable progress, hand-over of
 * the merged env. Called on the platform's pooled before-run thread; the slow work runs on the
 * progress thread and the dialog on the EDT. Nothing here runs under a read action.
 *
 * @return whether the run may go on (false: cancelled or failed; never silently targetless)
 */
class MirrordPreLaunch(private val project: Project) {
    fun run(configuration: RunConfiguration, environment: ExecutionEnvironment): Boolean {
        val settings = MirrordSettings.getInstance(project).state
        val (runEnv, passParent) = RunConfigurationSupport.env(configuration)
        val inherited = if (passParent) EnvironmentUtil.getEnvironmentMap() else emptyMap()
        val configFile = MirrordConfigLocator.find(project, runEnv, settings.configPath)
        val configUri = configFile?.toUri()?.toString()
        val result = AtomicReference<LaunchResult>()
        ApplicationManager.getApplication().invokeAndWait({
            ProgressManager.getInstance().runProcessWithProgressSynchronously({
                val indicator = ProgressManager.getInstance().progressIndicator
                result.set(launch(configuration, configFile, runEnv, inherited, settings.launchTimeoutSeconds, indicator))
            }, "Starting mirrord", true, project)
        }, ModalityState.any())
        return when (val r = result.get()) {
            is LaunchResult.Started -> {
                MirrordLaunchRegistry.getInstance(project).put(
                    MirrordLaunchRegistry.Prepared(environment.executionId, configuration, r.session, r.env(), r.unset()),
                )
                MirrordServerService.getInstance(project).sessions()?.add(r.session)
                val info = r.session.info()
                notify("${SessionNotices.summary(info)}: ${configuration.name}", NotificationType.INFORMATION)
                // Warnings from the engine, and once per project that no traffic is mirrored.
                val shown = PropertiesComponent.getInstance(project)
                val firstTime = java.util.function.Predicate<String> { key ->
                    val name = "mirrord.notice.$key"
                    val before = shown.getBoolean(name)
                    shown.setValue(name, true)
                    !before
                }
                for (notice in SessionNotices.started(info, firstTime)) {
                    val type = if (notice.level() == SessionNotices.Level.WARNING) NotificationType.WARNING else NotificationType.INFORMATION
                    val n = NotificationGroupManager.getInstance().getNotificationGroup("mirrord").createNotification(notice.text(), type)
                    if (notice.action() != null) {
                        n.addAction(NotificationAction.createSimple("Set the mirrord CLI...") {
                            ShowSettingsUtil.getInstance().showSettingsDialog(project, MirrordSettingsConfigurable::class.java)
                        })
                    }
                    n.notify(project)
                }
                true
            }
            is LaunchResult.Failed -> {
                notify("mirrord could not start: ${r.error().describe()}", NotificationType.ERROR)
                false
            }
            is LaunchResult.Cancelled, null -> false
        }
    }

    private fun launch(
        configuration: RunConfiguration,
        configFile: Path?,
        runEnv: Map<String, String>,
        inherited: Map<String, String>,
        timeoutSeconds: Int,
        indicator: ProgressIndicator,
    ): LaunchResult {
        indicator.isIndeterminate = true
        indicator.text = "Connecting to the mirrord language server..."
        val configUri = configFile?.toUri()?.toString()
        val api = try {
            MirrordServerService.getInstance(project).api()
        } catch (e: ServerNotFoundException) {
            return LaunchResult.Failed(MirrordRequestException(ErrorKind.NOT_FOUND, e.message, null, false, e))
        } catch (e: ServerStartException) {
            return LaunchResult.Failed(MirrordRequestException(ErrorKind.UNKNOWN, e.message, e.stderrTail(), false, e))
        }
        indicator.text = "Listing targets..."
        val view = PickerView { model ->
            val outcome = AtomicReference<PickerOutcome>(PickerOutcome.Cancelled())
            ApplicationManager.getApplication().invokeAndWait({
                val save = { choice: PickerOutcome.Selected -> saveChoice(api, configFile, choice) }
                outcome.set(TargetPickerDialog(project, configuration.name, model, save).showAndGetOutcome())
            }, ModalityState.any())
            indicator.text = "Starting mirrord..."
            outcome.get()
        }
        // Recent choices are kept per run configuration, kube context and namespace.
        val flow = TargetPickerFlow(
            { ns -> await(api.targetPickerItems(configUri, ns, false, null), indicator) },
            view,
            ProjectRecentChoices.of(project),
            MirrordServerService.getInstance(project).kubeContext(),
        )
        val launcher = SessionLauncher(api, flow, Duration.ofSeconds(timeoutSeconds.toLong()))
        return try {
            launcher.launch(
                SessionLauncher.RunContext(RunConfigurationSupport.key(configuration), configUri, runEnv, inherited),
                { event -> report(indicator, event) },
                { indicator.isCanceled },
            )
        } catch (e: CancellationException) {
            LaunchResult.Cancelled("cancelled")
        }
    }

    /**
     * "Save to Config" in the dialog (on the EDT): the server computes the edit, the IDE applies it
     * while the dialog is still up, so the run and the saved config agree.
     */
    private fun saveChoice(api: MirrordApi, configFile: Path?, choice: PickerOutcome.Selected) {
        val base = project.basePath?.let { Path.of(it) }
        if (configFile == null && base == null) {
            notify("mirrord: this project has no folder to create a mirrord config in", NotificationType.ERROR)
            return
        }
        val file = TargetSaver.configFileFor(configFile, base)
        // ModalityState.current() on the EDT is the dialog's, so the edit runs while it is open.
        val modality = ModalityState.current()
        val onEdt = Executor { task -> ApplicationManager.getApplication().invokeLater(task, modality) }
        TargetSaver(api, IdeConfigText(project), onEdt).save(file, choice).whenComplete { saved, error ->
            if (error == null) {
                notify("mirrord: ${saved.describe(base)}", NotificationType.INFORMATION)
            } else {
                val cause = (error as? CompletionException)?.cause ?: error
                val text = (cause as? MirrordRequestException)?.describe() ?: cause.message ?: cause.toString()
                notify("mirrord could not save the target: $text", NotificationType.ERROR)
            }
        }
    }

    private fun report(indicator: ProgressIndicator, event: ProgressEvent) {
        if (event.text().isNotBlank()) indicator.text2 = event.text()
        event.percentage()?.let {
            indicator.isIndeterminate = false
            indicator.fraction = it / 100.0
        }
    }

    /** Waits for a request while honouring the progress dialog's Cancel. */
    private fun <T> await(future: CompletableFuture<T>, indicator: ProgressIndicator): T {
        while (true) {
            if (indicator.isCanceled) {
                future.cancel(false)
                throw CancellationException("cancelled")
            }
            try {
                return future.get(100, TimeUnit.MILLISECONDS)
            } catch (e: TimeoutException) {
                continue
            } catch (e: ExecutionException) {
                throw (e.cause as? MirrordRequestException)
                    ?: MirrordRequestException(ErrorKind.UNKNOWN, e.cause.toString(), null, false, e.cause)
            }
        }
    }

    private fun notify(text: String, type: NotificationType) {
        NotificationGroupManager.getInstance().getNotificationGroup("mirrord").createNotification(text, type).notify(project)
    }
}
