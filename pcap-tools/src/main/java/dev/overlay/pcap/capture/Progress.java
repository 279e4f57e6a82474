package dev.overlay.pcap.capture;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * A progress bar on stderr for reading a large capture, by bytes of the file consumed.
 *
 * <p>It shows only when all three hold: stderr is a terminal ({@code isatty(2)}; not
 * {@code System.console()}, which since JDK 22 exists even when redirected, and whose
 * {@code isTerminal()} looks at stdin and stdout, not stderr), the file is larger than
 * {@link #MIN_SIZE}, and the environment does not say {@code CI=true}. So tests, CI logs and
 * {@code 2>file} never receive a bar. Otherwise every method is a no-op.
 */
public final class Progress implements AutoCloseable {
    /** Files up to this size read in well under a second: no bar. */
    public static final long MIN_SIZE = 8L << 20;

    private static final Progress NONE = new Progress(null, 0);

    /** Null when nothing is shown. */
    private final ProgressBar bar;
    private final long max;

    private Progress(ProgressBar bar, long max) {
        this.bar = bar;
        this.max = max;
    }

    /** A progress that shows nothing. */
    public static Progress none() {
        return NONE;
    }

    /** A bar named {@code task} for reading {@code file}, or {@link #none()} (see class comment). */
    public static Progress forFile(Path file, String task) {
        long size;
        try {
            size = Files.size(file);
        } catch (IOException e) {
            return NONE;
        }
        if (!shouldShow(size, Stderr.isTerminal(), "true".equalsIgnoreCase(System.getenv("CI")))) {
            return NONE;
        }
        ProgressBar bar = new ProgressBarBuilder()
                .setTaskName(task)
                .setInitialMax(size)
                .setUnit("MiB", 1L << 20)
                .setStyle(ProgressBarStyle.COLORFUL_UNICODE_BLOCK)
                .setConsumer(new ConsoleProgressBarConsumer(System.err))
                .setUpdateIntervalMillis(250)
                .build();
        return new Progress(bar, size);
    }

    static boolean shouldShow(long fileSize, boolean stderrIsTerminal, boolean ci) {
        return stderrIsTerminal && !ci && fileSize > MIN_SIZE;
    }

    /** Whether anything is drawn. */
    public boolean isShown() {
        return bar != null;
    }

    /** Moves the bar to {@code bytesDone} (clamped to the file size; estimates may overshoot). */
    public void update(long bytesDone) {
        if (bar != null) {
            bar.stepTo(Math.min(bytesDone, max));
        }
    }

    @Override
    public void close() {
        if (bar != null) {
            bar.close();
        }
    }

    /** isatty(2) from libc through a JNA direct mapping, loaded only when a bar is considered. */
    private static final class Stderr {
        private static final boolean TERMINAL = probe();

        static boolean isTerminal() {
            return TERMINAL;
        }

        private static boolean probe() {
            try {
                return Libc.isatty(2) == 1;
            } catch (LinkageError e) {
                return false;
            }
        }
    }

    private static final class Libc {
        static {
            Native.register(Libc.class, NativeLibrary.getInstance(Platform.C_LIBRARY_NAME));
        }

        static native int isatty(int fd);
    }
}
