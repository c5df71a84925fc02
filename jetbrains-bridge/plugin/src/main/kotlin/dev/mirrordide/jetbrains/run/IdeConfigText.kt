package dev.mirrordide.jetbrains.run

import com.intellij.openapi.command.WriteCommandAction
import com.intellij.openapi.fileEditor.FileDocumentManager
import com.intellij.openapi.project.Project
import com.intellij.openapi.util.text.StringUtil
import com.intellij.openapi.vfs.LocalFileSystem
import com.intellij.openapi.vfs.VfsUtil
import dev.mirrordide.core.config.TargetSaver
import java.io.IOException
import java.nio.file.Path
import java.util.function.UnaryOperator

/**
 * A config's text as the IDE has it: the open document (unsaved changes included) or the file,
 * changed in one write command so Undo takes the whole save back. Called on the EDT.
 */
class IdeConfigText(private val project: Project) : TargetSaver.ConfigText {
    @Throws(IOException::class)
    override fun update(file: Path, change: UnaryOperator<String?>) {
        // intellij-community, platform 2024.3: WriteCommandAction.writeCommandAction(Project) returns a Builder;
        //   Builder withName(@Nullable String name); <E extends Throwable> void run(@NotNull ThrowableRunnable<E> action) throws E
        WriteCommandAction.writeCommandAction(project).withName("Save mirrord Target").run<IOException> {
            // LocalFileSystem (2024.3): @Nullable VirtualFile refreshAndFindFileByNioFile(@NotNull Path file)
            val existing = LocalFileSystem.getInstance().refreshAndFindFileByNioFile(file)
            val vf = existing ?: run {
                // VfsUtil (2024.3): static @Nullable VirtualFile createDirectoryIfMissing(@NotNull String directoryPath) throws IOException
                val folder = VfsUtil.createDirectoryIfMissing(file.parent.toString())
                    ?: throw IOException("cannot create the folder ${file.parent}")
                // VirtualFile (2024.3): @NotNull VirtualFile createChildData(Object requestor, @NotNull String name) throws IOException
                folder.createChildData(this, file.fileName.toString())
            }
            val documents = FileDocumentManager.getInstance()
            // FileDocumentManager (2024.3): @Nullable Document getDocument(@NotNull VirtualFile file); void saveDocument(@NotNull Document document)
            val document = documents.getDocument(vf) ?: throw IOException("$file is not a text file")
            val updated = change.apply(if (existing == null) null else document.text)
                ?: throw IOException("no text to write to $file")
            // Documents hold \n line ends only; the file keeps its own separator when saved.
            document.setText(StringUtil.convertLineSeparators(updated))
            documents.saveDocument(document)
        }
    }
}
