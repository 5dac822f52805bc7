package io.deliverycheck.systems.file;

import io.deliverycheck.checker.Guarantee;
import io.deliverycheck.checker.runner.Environment;
import io.deliverycheck.checker.runner.Workload;
import io.deliverycheck.systems.Claims;
import io.deliverycheck.systems.RunParameters;
import io.deliverycheck.systems.Settings;
import io.deliverycheck.systems.SystemOp;
import io.deliverycheck.systems.SystemOption;
import io.deliverycheck.systems.SystemUnderTest;
import io.deliverycheck.workloads.Workloads;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A system under test described by a {@link SystemFile} ({@code --system-file F}): its nodes run
 * in a {@link FileEnvironment}; its clients are those of its {@code protocol}. For
 * {@code deliverycheck} they are exactly the reference system's ({@link Workloads#create}: HTTP
 * sends, device and receipt WebSockets), with the devices' dedup following the claimed guarantee as
 * the reference's follows its mode. Claims, version and faults are the file's.
 */
public final class DescribedSystem implements SystemUnderTest {
    private final SystemFile sf;

    public DescribedSystem(SystemFile sf) {
        this.sf = sf;
    }

    /** Reads {@code file} ({@link SystemFileException} with one line when it is bad). */
    public static DescribedSystem read(Path file) {
        return new DescribedSystem(SystemFile.read(file));
    }

    public SystemFile file() {
        return sf;
    }

    @Override
    public String name() {
        return sf.name();
    }

    @Override
    public String summary() {
        return sf.summary() + " (system file " + sf.file() + ", version " + sf.version() + ")";
    }

    @Override
    public List<SystemOption> options() {
        return sf.options();
    }

    @Override
    public Claims claims(Settings settings) {
        return sf.claims();
    }

    @Override
    public List<String> faults(Settings settings) {
        return sf.faults();
    }

    @Override
    public List<String> workloads() {
        return Workloads.NAMES;
    }

    /** The default checks, and {@code --nodes} within the file's {@code max_nodes}. */
    @Override
    public void validate(RunParameters run, Settings settings) {
        SystemUnderTest.super.validate(run, settings);
        if (run.nodes() > sf.maxNodes()) {
            throw new IllegalArgumentException("--nodes " + run.nodes() + ": " + sf.file() + " runs at most "
                    + sf.maxNodes() + " node" + (sf.maxNodes() == 1 ? "" : "s") + " (/max_nodes)");
        }
    }

    /** The start command's program, when it can be told before the run, must exist. */
    @Override
    public String missing(Settings settings) {
        String program = sf.start().command().get(0);
        if (program.equals("{java}")) {
            return null;
        }
        program = program.replace("{file_dir}", sf.file().getParent().toString());
        if (program.contains("{")) {
            return null;
        }
        if (program.contains("/")) {
            Path p = Path.of(program);
            return Files.isExecutable(p) ? null : "/start/command/0: " + program + " is not an executable file";
        }
        String path = System.getenv().getOrDefault("PATH", "");
        for (String dir : path.split(File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, program))) {
                return null;
            }
        }
        return "/start/command/0: " + program + " is not on the PATH (install it, or give its full path)";
    }

    @Override
    public Environment environment(RunParameters run, Settings settings) {
        validate(run, settings);
        Map<String, String> opts = settings.asMap();
        return new FileEnvironment(sf, run.nodes(), opts, run.workload().token(),
                SystemOp.of(sf.name(), sf.version(), settings, run.nodes(), sf.claims()));
    }

    /** The protocol's clients; for {@code deliverycheck}, the reference system's own. */
    @Override
    public Workload workload(RunParameters run, Settings settings) {
        return switch (sf.protocol()) {
            case "deliverycheck" -> Workloads.create(run.workload().withGuarantee(Guarantee.parse(sf.claims().guarantee())));
            default -> throw new IllegalArgumentException(sf.file() + ": /protocol: " + sf.protocol() + " has no clients");
        };
    }

    /** More than {@code deliverycheck systems} shows of a built-in system: how the nodes run. */
    public List<String> describe() {
        return List.of(
                "protocol: " + sf.protocol() + "; at most " + sf.maxNodes() + " nodes; database: " + sf.database() + "; retry horizon " + sf.retryHorizonMs() + " ms",
                "ports: " + String.join(", ", sf.ports().values().stream().map(p -> p.name() + " (" + p.role() + ")").toList()),
                "start: " + String.join(" ", sf.start().command()),
                "health: " + (sf.health().httpPath() != null ? "GET " + sf.health().httpPath() + " -> " + sf.health().status()
                        + (sf.health().nodesAt() == null ? "" : ", every node at " + sf.health().nodesAt())
                        : sf.health().tcpPort() != null ? "TCP port " + sf.health().tcpPort()
                        : String.join(" ", sf.health().command().command()) + " exits 0")
                        + " within " + sf.health().timeoutMs() + " ms",
                "stop: " + (sf.stop().command() != null ? String.join(" ", sf.stop().command().command()) : "SIG" + sf.stop().signal())
                        + ", then SIGKILL after " + sf.stop().graceMs() + " ms");
    }
}
