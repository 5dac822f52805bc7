package io.deliverycheck.environments.process;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

/**
 * The harness's reaper: a tiny JVM that {@link OwnedProcesses} starts with a pipe from the harness
 * on its stdin and nothing else to do. The harness never writes to the pipe; when the harness dies
 * (however: even SIGKILL) the kernel closes it, the reaper reads end-of-file, kills every process the
 * harness's registry file still lists (verified by pid and start time) and deletes the file, then
 * exits. After a normal exit the harness has already stopped everything and deleted the file, so the
 * reaper finds nothing. It writes one line to {@code reaper.log} in the registry folder when it
 * stopped something.
 *
 * <p>Usage: {@code java -cp <classpath> io.deliverycheck.environments.process.Reaper <registry-file>}.
 */
public final class Reaper {

    private Reaper() {
    }

    /**
     * Loads now every class the clean-up needs: the class path may be gone (rebuilt, deleted) by the
     * time the harness dies. Kills nothing: the entry names this process with a start time it never had.
     */
    private static void preload(Path file) {
        OwnedRegistry.Entry none = new OwnedRegistry.Entry(ProcessHandle.current().pid(), -2, true, "preload");
        OwnedRegistry.kill(none);
        none.describe();
        ProcInfo.group(-1, 0);
        OwnedRegistry.killAll(file.resolveSibling(".none-" + file.getFileName()));
        Signals.class.getName();
        Instant.now().toString();
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            System.err.println("usage: Reaper <registry-file>");
            System.exit(2);
        }
        Path file = Path.of(args[0]);
        preload(file);
        InputStream in = System.in;
        byte[] buf = new byte[256];
        while (in.read(buf) >= 0) {
            // the harness never writes; keep reading until its end of the pipe closes
        }
        List<String> killed = OwnedRegistry.killAll(file);
        if (!killed.isEmpty()) {
            System.err.println(Instant.now() + " the harness of " + file.getFileName() + " died; stopped "
                    + String.join(", ", killed));
        }
    }
}
