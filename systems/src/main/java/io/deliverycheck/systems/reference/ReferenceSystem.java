package io.deliverycheck.systems.reference;

import io.deliverycheck.checker.Guarantee;
import io.deliverycheck.checker.runner.Environment;
import io.deliverycheck.checker.runner.Fault;
import io.deliverycheck.checker.runner.Workload;
import io.deliverycheck.environments.EnvironmentConfig;
import io.deliverycheck.environments.Environments;
import io.deliverycheck.systems.Claims;
import io.deliverycheck.systems.RunParameters;
import io.deliverycheck.systems.Settings;
import io.deliverycheck.systems.SystemOption;
import io.deliverycheck.systems.SystemUnderTest;
import io.deliverycheck.systems.bench.PlainClient;
import io.deliverycheck.workloads.Workloads;
import io.deliverycheck.workloads.fake.FakeCluster;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;

/**
 * The reference cluster as a system under test: the harness's own nodes (module node) with their
 * own PostgreSQL, in the {@code local} or {@code netns} environment, or the in-process
 * {@code fake} cluster; clients speak its HTTP/WebSocket protocol (Contract 2). It claims the
 * guarantee of its mode (docs/node.md), with receipts and without order. The mode is
 * {@code --guarantee} unless {@code --system-opt mode=...} says otherwise; planted bugs
 * ({@code --bug}) are settings, never claims: a node with a bug still claims its mode.
 */
public final class ReferenceSystem implements SystemUnderTest {
    private static final List<String> MODES = List.of("at-most-once", "at-least-once", "exactly-once");

    @Override
    public String name() {
        return "reference";
    }

    @Override
    public String summary() {
        return "the harness's reference cluster (Vert.x, PostgreSQL, JGroups), its own nodes and database";
    }

    @Override
    public List<SystemOption> options() {
        return List.of(
                new SystemOption("mode", "exactly-once", MODES, "the nodes' delivery mode (default: --guarantee)"),
                new SystemOption("bugs", "", List.of(), "planted bugs, comma-separated (default: the --bug flags)"));
    }

    @Override
    public List<String> impliedOptions(Guarantee requested, List<String> bugs) {
        List<String> out = new ArrayList<>();
        if (requested != null) {
            out.add("mode=" + requested.wire());
        }
        if (!bugs.isEmpty()) {
            out.add("bugs=" + String.join(",", bugs));
        }
        return out;
    }

    @Override
    public Claims claims(Settings settings) {
        return new Claims(settings.get("mode"), true, "none", "docs/node.md (modes), docs/protocol.md (receipts)");
    }

    @Override
    public List<String> faults(Settings settings) {
        // power-loss and clock-skew where this machine can run them (local environment); no
        // corrupt-file: the nodes keep no data, and the one PostgreSQL is not a minority
        List<String> kinds = new ArrayList<>(Fault.KINDS);
        kinds.remove(Fault.CORRUPT_FILE);
        if (io.deliverycheck.environments.disk.PowerLossFs.problem() != null) {
            kinds.remove(Fault.POWER_LOSS);
        }
        if (io.deliverycheck.environments.clock.ClockSkew.problem() != null) {
            kinds.remove(Fault.CLOCK_SKEW);
        }
        return kinds;
    }

    @Override
    public List<String> environments() {
        return List.of("local", "netns", "ssh", "fake");
    }

    @Override
    public List<String> workloads() {
        return Workloads.NAMES;
    }

    static Guarantee mode(Settings settings) {
        return Guarantee.parse(settings.get("mode"));
    }

    static List<String> bugs(Settings settings) {
        String v = settings.get("bugs").trim();
        return v.isEmpty() ? List.of() : Arrays.stream(v.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    }

    /** The node flags every environment passes: the mode and the planted bugs. */
    static List<String> nodeFlags(Settings settings) {
        List<String> flags = new ArrayList<>(List.of("--guarantee", settings.get("mode")));
        for (String b : bugs(settings)) {
            flags.add("--bug");
            flags.add(b);
        }
        return flags;
    }

    @Override
    public Environment environment(RunParameters run, Settings settings) {
        if (run.env().equals("fake")) {
            return new FakeCluster(run.nodes(), mode(settings), new LinkedHashSet<>(bugs(settings)));
        }
        EnvironmentConfig config = EnvironmentConfig.defaults(run.nodes()).withNodeFlags(nodeFlags(settings))
                .withToken(run.workload().token());
        return Environments.create(run.env(), config, run.hosts());
    }

    /** {@link BenchReference}, with as many sends in flight as the workload has sender processes. */
    @Override
    public PlainClient plainClient(RunParameters run, Settings settings) {
        if (run.env().equals("fake")) {
            return null;
        }
        int window = run.workload().senders();
        return (env, roster, plan, warmup, duration) -> BenchReference.run(
                env.nodes().stream().map(env::clientEndpoint).toList(), roster, plan, window, warmup, duration);
    }

    /** The HTTP/WebSocket clients; devices dedup by server id exactly when the nodes run exactly-once. */
    @Override
    public Workload workload(RunParameters run, Settings settings) {
        return Workloads.create(run.workload().withGuarantee(mode(settings)));
    }
}
