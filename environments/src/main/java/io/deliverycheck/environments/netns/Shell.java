package io.deliverycheck.environments.netns;

import java.io.IOException;
import java.util.List;

/** Runs privileged network commands ({@code ip}, {@code iptables}, {@code tc}); a fake in tests captures them. */
public interface Shell {

    /** One finished command. */
    record Result(int exitCode, String output) {
    }

    /** Runs {@code command} to completion (bounded). */
    Result run(List<String> command) throws IOException, InterruptedException;

    /** Runs {@code command}; a non-zero exit throws naming the command and its output. */
    default String check(List<String> command) throws IOException, InterruptedException {
        Result r = run(command);
        if (r.exitCode() != 0) {
            throw new IOException("'" + String.join(" ", command) + "' failed (exit " + r.exitCode() + "): " + r.output().trim());
        }
        return r.output();
    }

    /** The real shell: a child process per command, output and errors together, 30 s at most. */
    static Shell system() {
        return command -> {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            p.getOutputStream().close();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("'" + String.join(" ", command) + "' did not finish in 30 s");
            }
            return new Result(p.exitValue(), new String(out, java.nio.charset.StandardCharsets.UTF_8));
        };
    }
}
