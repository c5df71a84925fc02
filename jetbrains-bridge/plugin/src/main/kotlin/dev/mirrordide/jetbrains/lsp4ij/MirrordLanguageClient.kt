package dev.mirrordide.jetbrains.lsp4ij

import com.intellij.openapi.project.Project
import com.redhat.devtools.lsp4ij.client.LanguageClientImpl
import dev.mirrordide.core.api.SessionEnded
import dev.mirrordide.core.lsp.PlainJson
import dev.mirrordide.core.lsp.ProgressEvent
import dev.mirrordide.jetbrains.settings.MirrordSettings
import org.eclipse.lsp4j.ProgressParams
import org.eclipse.lsp4j.WorkDoneProgressBegin
import org.eclipse.lsp4j.WorkDoneProgressEnd
import org.eclipse.lsp4j.WorkDoneProgressReport
import org.eclipse.lsp4j.jsonrpc.services.JsonNotification

/**
 * The LSP4IJ client of the mirrord server: hands `mirrord/sessionEnded` and the progress of run
 * requests to the project's [Lsp4ijManagedServer] channel, and answers `workspace/configuration`
 * with the `mirrord` settings. One instance per server start (LSP4IJ creates it through
 * [MirrordLsp4ijServerFactory.createLanguageClient]); the channel outlives it.
 */
// LSP4IJ 0.12.0, LanguageClientImpl: public LanguageClientImpl(Project project)
class MirrordLanguageClient(project: Project) : LanguageClientImpl(project) {
    private val channel get() = Lsp4ijManagedServer.getInstance(project).channel

    /**
     * `mirrord/sessionEnded` `{sessionId, reason, message}`. LSP4J 0.21.1 reads the params with
     * this method's parameter type; `Any?` gives plain maps (Gson's Object adapter), see [PlainJson].
     */
    // LSP4J 0.21.1: @interface JsonNotification { String value() default ""; boolean useSegment() default true; }
    @JsonNotification(SessionEnded.METHOD)
    fun sessionEnded(params: Any?) {
        channel.deliverNotification(SessionEnded.METHOD, PlainJson.toJsonTree(params))
    }

    // LSP4IJ 0.12.0, LanguageClientImpl: public void notifyProgress(ProgressParams params)
    // LSP4J 0.21.1, ProgressParams: Either<String, Integer> getToken();
    //   Either<WorkDoneProgressNotification, Object> getValue()
    override fun notifyProgress(params: ProgressParams) {
        val event = progressEvent(params)
        if (event == null || !channel.deliverProgress(event)) super.notifyProgress(params)
    }

    // LSP4IJ 0.12.0, LanguageClientImpl: protected Object findSettings(@Nullable String section)
    override fun findSettings(section: String?): Any? {
        val mirrord = PlainJson.toPlain(MirrordSettings.getInstance(project).serverSection())
        return when (section) {
            null -> mapOf("mirrord" to mirrord)
            "mirrord" -> mirrord
            else -> null
        }
    }

    private companion object {
        // LSP4J 0.21.1, Either<L, R>: boolean isLeft(); L getLeft(); R getRight()
        // LSP4J 0.21.1 (Protocol.xtend): WorkDoneProgressBegin {title, cancellable, message, percentage},
        //   WorkDoneProgressReport {cancellable, message, percentage}, WorkDoneProgressEnd {message}
        fun progressEvent(params: ProgressParams): ProgressEvent? {
            val token = params.token ?: return null
            val tokenText = if (token.isLeft) token.left else token.right?.toString()
            val value = params.value ?: return null
            if (!value.isLeft) return null
            return when (val v = value.left) {
                is WorkDoneProgressBegin ->
                    ProgressEvent(tokenText, ProgressEvent.Kind.BEGIN, v.title, v.message, v.percentage, v.cancellable)
                is WorkDoneProgressReport ->
                    ProgressEvent(tokenText, ProgressEvent.Kind.REPORT, null, v.message, v.percentage, v.cancellable)
                is WorkDoneProgressEnd -> ProgressEvent(tokenText, ProgressEvent.Kind.END, null, v.message, null, null)
                else -> null
            }
        }
    }
}
