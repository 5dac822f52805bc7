package io.deliverycheck.systems.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.deliverycheck.checker.Guarantee;
import io.deliverycheck.checker.history.Recorder;
import io.deliverycheck.checker.runner.Environment;
import io.deliverycheck.checker.runner.Workload;
import io.deliverycheck.checker.runner.WorkloadStats;
import io.deliverycheck.systems.RunParameters;
import io.deliverycheck.systems.SystemOption;
import io.deliverycheck.systems.SystemUnderTest;
import io.deliverycheck.systems.Systems;
import io.deliverycheck.workloads.Roster;
import io.deliverycheck.workloads.SendPlan;
import io.deliverycheck.workloads.WorkloadConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code deliverycheck bench systems}: for each system, on one private cluster with no faults, its
 * plain client ({@link PlainClient}: the system's own client library, nothing recorded) and then the
 * same traffic through the harness's recorded workload (the clients {@code test} uses, every op
 * recorded), and the ratio of the two throughputs. Target: the harness keeps at least 0.8 of the
 * plain client's throughput (docs/benchmarks.md, "Systems").
 */
@Command(
        name = "systems",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {
            "Each system's plain client against the harness's recorded workload, side by side.",
            "Starts each system's private cluster once, runs its plain client, then the same",
            "traffic through the recorded workload, and prints the throughput ratio."
        },
        footer = {
            "",
            "Examples:",
            "  deliverycheck bench systems                      every system with a plain client",
            "  deliverycheck bench systems --systems rabbitmq --duration-s 30",
            "  deliverycheck bench systems --system-opt queue-type=classic"
        })
public final class BenchSystemsCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--systems", split = ",", paramLabel = "NAME",
            description = "Systems to measure (default: every installed system with a plain client).")
    List<String> systems = new ArrayList<>();

    @Option(names = "--system-opt", paramLabel = "K=V",
            description = "An option for every measured system that has it (repeatable), e.g. window=128.")
    List<String> systemOptions = new ArrayList<>();

    @Option(names = "--nodes", defaultValue = "3", description = "Cluster size (default: ${DEFAULT-VALUE}).")
    int nodes;

    @Option(names = "--users", defaultValue = "10", description = "Users (default: ${DEFAULT-VALUE}).")
    int users;

    @Option(names = "--devices-per-user", defaultValue = "2", description = "Devices per user (default: ${DEFAULT-VALUE}).")
    int devicesPerUser;

    @Option(names = "--workload", defaultValue = "chat", description = "chat or payments traffic (default: ${DEFAULT-VALUE}).")
    String workload;

    @Option(names = "--warmup-s", defaultValue = "5", description = "Seconds of warm-up per phase (default: ${DEFAULT-VALUE}).")
    int warmupS;

    @Option(names = "--duration-s", defaultValue = "20", description = "Measured seconds per phase (default: ${DEFAULT-VALUE}).")
    int durationS;

    @Option(names = "--seed", defaultValue = "1", description = "Seed of the send plan (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--results", paramLabel = "DIR",
            description = "Where the run folders go (default: results/bench-systems/<timestamp>/ of the repository).")
    Path results;

    /** CPU seconds used during a phase: by this JVM (clients and harness) and by its child processes (the system). */
    record Cpu(double clientS, double systemS) {
        static Cpu now() {
            double self = ProcessHandle.current().info().totalCpuDuration().map(d -> d.toNanos() / 1e9).orElse(0.0);
            double children = ProcessHandle.current().descendants()
                    .mapToDouble(h -> h.info().totalCpuDuration().map(d -> d.toNanos() / 1e9).orElse(0.0)).sum();
            return new Cpu(self, children);
        }

        Cpu minus(Cpu before) {
            return new Cpu(clientS - before.clientS, systemS - before.systemS);
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "CPU: this JVM %.1f s, the system's processes %.1f s", clientS, systemS);
        }
    }

    /** One system's row. */
    record Row(String system, String settings, PlainResult plain, Cpu plainCpu, double harnessAcceptedPerS,
            double harnessDeliveredPerS, Cpu harnessCpu, long harnessOps) {

        double acceptedRatio() {
            return plain.acceptedPerS() == 0 ? 0 : harnessAcceptedPerS / plain.acceptedPerS();
        }

        double deliveredRatio() {
            return plain.deliveredPerS() == 0 ? 0 : harnessDeliveredPerS / plain.deliveredPerS();
        }
    }

    @Override
    public Integer call() throws Exception {
        List<SystemUnderTest> chosen = new ArrayList<>();
        try {
            for (String n : systems.isEmpty() ? Systems.all().stream().map(SystemUnderTest::name).toList() : systems) {
                chosen.add(Systems.byName(n));
            }
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage().replaceFirst("^--system ", "--systems "));
        }
        for (String pair : systemOptions) {
            String k = pair.contains("=") ? pair.substring(0, pair.indexOf('=')) : pair;
            if (chosen.stream().noneMatch(s -> s.options().stream().map(SystemOption::name).anyMatch(k::equals))) {
                throw new ParameterException(spec.commandLine(), "--system-opt " + pair + ": no measured system has the option " + k);
            }
        }
        Path root = results != null ? results : repoResults().resolve("bench-systems")
                .resolve(LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss")));
        Files.createDirectories(root);
        System.out.printf(Locale.ROOT, "bench systems: %d cores, %s; %d nodes, %d users x %d devices, %s traffic,"
                + " %d s warm-up + %d s measured per phase; runs in %s%n", Runtime.getRuntime().availableProcessors(),
                loadAverage(), nodes, users, devicesPerUser, workload, warmupS, durationS, root);
        List<Row> rows = new ArrayList<>();
        for (SystemUnderTest s : chosen) {
            List<String> mine = systemOptions.stream().filter(p -> s.options().stream().map(SystemOption::name)
                    .anyMatch(n -> p.startsWith(n + "="))).toList();
            Systems.Chosen c = Systems.choose(s.name(), mine, null, List.of());
            RunParameters run = new RunParameters(nodes, "local", config(c, 10_000));
            PlainClient plain = s.plainClient(run, c.settings());
            String missing = s.missing(c.settings());
            if (plain == null || missing != null) {
                if (systems.contains(s.name())) {
                    System.out.println("bench systems: " + s.name() + ": skipped: "
                            + (plain == null ? "it has no plain client yet" : missing));
                }
                continue;
            }
            s.validate(run, c.settings());
            rows.add(measure(c, run, plain, root.resolve(s.name())));
        }
        print(rows);
        writeJson(root.resolve("bench.json"), rows);
        return 0;
    }

    /**
     * The workload of the plan and of the recorded phase: no retries, no reads; 64 sender processes per
     * node where the system's clients take their count from the workload (the reference), as many as
     * the plain client keeps in flight. {@code rate} is the open-loop rate of the recorded phase.
     */
    private WorkloadConfig config(Systems.Chosen c, double rate) {
        Guarantee g = Guarantee.parse(c.claims().guarantee());
        return new WorkloadConfig(workload, g, seed, rate, users, devicesPerUser, 64 * nodes, 1,
                Duration.ofSeconds(10), 0, 0, null);
    }

    /**
     * The recorded phase's open-loop rate: a quarter above what the plain client achieved, so the
     * sender processes' window, not the plan, limits it when the harness keeps up (the ratio can then
     * reach 1.25), and the generator does not spin through slots nobody can take.
     */
    static double recordedRate(PlainResult plain) {
        return Math.max(10, Math.min(10_000, Math.ceil(plain.acceptedPerS() * 1.25)));
    }

    private Row measure(Systems.Chosen c, RunParameters run, PlainClient plain, Path dir) throws Exception {
        SystemUnderTest s = c.system();
        Files.createDirectories(dir);
        Duration warmup = Duration.ofSeconds(warmupS);
        Duration duration = Duration.ofSeconds(durationS);
        Roster roster = Roster.of(users, devicesPerUser);
        try (Recorder rec = Recorder.open(dir.resolve("history.jsonl"));
                Environment env = s.environment(run, c.settings())) {
            System.out.println("bench systems: " + s.name() + ": starting " + nodes + " nodes ...");
            env.setup(dir, rec);
            System.out.println("bench systems: " + s.name() + ": plain client ...");
            Cpu c0 = Cpu.now();
            PlainResult p = plain.run(env, roster, new SendPlan(run.workload(), roster), warmup, duration);
            Cpu plainCpu = Cpu.now().minus(c0);
            System.out.printf(Locale.ROOT, "bench systems: %s: plain client %.0f accepted/s, %.0f delivered/s,"
                    + " p50 %.2f ms, p99 %.2f ms; %s (%s)%n", s.name(), p.acceptedPerS(), p.deliveredPerS(), p.p50Ms(),
                    p.p99Ms(), plainCpu, loadAverage());
            double rate = recordedRate(p);
            System.out.printf(Locale.ROOT, "bench systems: %s: the harness's recorded workload, open loop at %.0f/s ...%n",
                    s.name(), rate);
            RunParameters recorded = new RunParameters(run.nodes(), run.env(), config(c, rate));
            try (Workload w = s.workload(recorded, c.settings())) {
                Cpu h0 = Cpu.now();
                w.setup(env, rec);
                w.start();
                sleep(warmup);
                WorkloadStats a = w.stats();
                long t0 = System.nanoTime();
                sleep(duration);
                WorkloadStats b = w.stats();
                double secs = (System.nanoTime() - t0) / 1e9;
                w.stopGenerating();
                Cpu harnessCpu = Cpu.now().minus(h0);
                w.awaitOpenSends(Duration.ofSeconds(30));
                Row row = new Row(s.name(), c.settings().toJson().toString(), p, plainCpu,
                        (b.sendsOk() - a.sendsOk()) / secs, (b.receives() - a.receives()) / secs, harnessCpu, rec.size());
                System.out.printf(Locale.ROOT, "bench systems: %s: harness %.0f accepted/s, %.0f delivered/s;"
                        + " ratio %.2f; %s (%s)%n", s.name(), row.harnessAcceptedPerS(), row.harnessDeliveredPerS(),
                        row.acceptedRatio(), harnessCpu, loadAverage());
                return row;
            }
        }
    }

    private static void print(List<Row> rows) {
        System.out.println();
        System.out.println("(" + loadAverage() + ")");
        System.out.println("| system | plain accepted/s | plain delivered/s | plain p50 / p99 ms | harness accepted/s"
                + " | harness delivered/s | ratio accepted | ratio delivered |");
        System.out.println("|---|---|---|---|---|---|---|---|");
        for (Row r : rows) {
            System.out.printf(Locale.ROOT, "| %s | %.0f | %.0f | %.2f / %.2f | %.0f | %.0f | %.2f | %.2f |%n", r.system(),
                    r.plain().acceptedPerS(), r.plain().deliveredPerS(), r.plain().p50Ms(), r.plain().p99Ms(),
                    r.harnessAcceptedPerS(), r.harnessDeliveredPerS(), r.acceptedRatio(), r.deliveredRatio());
        }
        for (Row r : rows) {
            System.out.printf(Locale.ROOT, "ratio %s: %.2f of the plain client's accepted/s (target >= 0.80: %s)%n",
                    r.system(), r.acceptedRatio(), r.acceptedRatio() >= 0.8 ? "met" : "not met");
        }
    }

    private static void writeJson(Path file, List<Row> rows) throws IOException {
        ArrayNode a = JsonNodeFactory.instance.arrayNode();
        for (Row r : rows) {
            ObjectNode o = a.addObject();
            o.put("system", r.system());
            o.put("settings", r.settings());
            o.set("plain", new ObjectMapper().valueToTree(r.plain()));
            o.put("harness_accepted_per_s", r.harnessAcceptedPerS());
            o.put("harness_delivered_per_s", r.harnessDeliveredPerS());
            o.put("harness_ops", r.harnessOps());
            o.put("plain_cpu_client_s", r.plainCpu().clientS());
            o.put("plain_cpu_system_s", r.plainCpu().systemS());
            o.put("harness_cpu_client_s", r.harnessCpu().clientS());
            o.put("harness_cpu_system_s", r.harnessCpu().systemS());
            o.put("ratio_accepted", r.acceptedRatio());
            o.put("ratio_delivered", r.deliveredRatio());
        }
        ObjectNode top = JsonNodeFactory.instance.objectNode();
        top.put("load_average", loadAverage());
        top.set("rows", a);
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, top.toPrettyString());
        Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    private static void sleep(Duration d) throws InterruptedException {
        long end = System.nanoTime() + d.toNanos();
        long left;
        while ((left = end - System.nanoTime()) > 0) {
            TimeUnit.NANOSECONDS.sleep(Math.min(left, 200_000_000L));
        }
    }

    static String loadAverage() {
        try {
            return "load average " + Files.readAllLines(Path.of("/proc/loadavg")).get(0).trim();
        } catch (IOException e) {
            return "load average unknown";
        }
    }

    /** results/ of the repository holding bin/deliverycheck, else ./results. */
    private static Path repoResults() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("bin").resolve("deliverycheck"))) {
                return p.resolve("results");
            }
        }
        return Path.of("results").toAbsolutePath();
    }
}
