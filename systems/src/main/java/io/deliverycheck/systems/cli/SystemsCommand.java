package io.deliverycheck.systems.cli;

import io.deliverycheck.systems.Claims;
import io.deliverycheck.systems.Settings;
import io.deliverycheck.systems.SystemOption;
import io.deliverycheck.systems.SystemUnderTest;
import io.deliverycheck.systems.Systems;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code deliverycheck systems}: every system under test, where it runs, its workloads and faults,
 * its options with their defaults, and what it claims for each setting (docs/systems.md).
 */
@Command(
        name = "systems",
        mixinStandardHelpOptions = true,
        description = {
            "List the systems under test, their options and their claims per setting.",
            "Run one with: deliverycheck test --system NAME [--system-opt K=V]..."
        },
        footer = {
            "",
            "Examples:",
            "  deliverycheck systems              every system",
            "  deliverycheck systems rabbitmq     one system",
            "  deliverycheck systems --system-file my-service.system.json",
            "                                     a system file, checked and described"
        })
public final class SystemsCommand implements Callable<Integer> {

    @Parameters(arity = "0..*", paramLabel = "NAME", description = "Only these systems.")
    List<String> only = new ArrayList<>();

    @picocli.CommandLine.Option(names = "--system-file", paramLabel = "FILE",
            description = "Check and describe a system file (docs/systems.md) instead of the built-in systems.")
    java.nio.file.Path systemFile;

    @Override
    public Integer call() {
        if (systemFile != null) {
            io.deliverycheck.systems.file.DescribedSystem d;
            try {
                d = io.deliverycheck.systems.file.DescribedSystem.read(systemFile);
            } catch (IllegalArgumentException e) {
                System.err.println("deliverycheck systems: " + e.getMessage());
                return 2;
            }
            print(d, System.out);
            return 0;
        }
        List<SystemUnderTest> systems = new ArrayList<>();
        try {
            for (String n : only) {
                systems.add(Systems.byName(n));
            }
        } catch (IllegalArgumentException e) {
            System.err.println("deliverycheck systems: " + e.getMessage().replaceFirst("^--system ", ""));
            return 2;
        }
        if (systems.isEmpty()) {
            systems.addAll(Systems.all());
        }
        for (SystemUnderTest s : systems) {
            print(s, System.out);
        }
        return 0;
    }

    static void print(SystemUnderTest s, PrintStream out) {
        Settings defaults = Settings.parse(s.name(), s.options(), List.of());
        out.println(s.name() + (s.name().equals(Systems.DEFAULT) ? " (default)" : "") + ": " + s.summary());
        out.println("  environments: " + String.join(", ", s.environments()) + "; workloads: "
                + String.join(", ", s.workloads()) + "; faults: " + String.join(", ", s.faults(defaults)));
        if (s instanceof io.deliverycheck.systems.file.DescribedSystem d) {
            d.describe().forEach(l -> out.println("  " + l));
        }
        String missing = s.missing(defaults);
        out.println("  installed: " + (missing == null ? "yes" : "no: " + missing));
        out.println("  options (--system-opt K=V):");
        for (SystemOption o : s.options()) {
            String allowed = o.values().isEmpty() ? "" : " (" + String.join(", ", o.values()) + ")";
            out.println("    " + o.name() + "=" + o.defaultValue());
            out.println("        " + o.description() + allowed);
        }
        out.println("  claims:");
        out.println("    defaults: " + describe(s.claims(defaults)));
        for (SystemOption o : s.options()) {
            for (String v : o.values()) {
                if (!v.equals(o.defaultValue())) {
                    Settings one = Settings.parse(s.name(), s.options(), List.of(o.name() + "=" + v));
                    out.println("    " + o.name() + "=" + v + ": " + describe(s.claims(one)));
                }
            }
        }
        Claims c = s.claims(defaults);
        if (c.source() != null) {
            out.println("  documented in: " + c.source());
        }
        out.println();
    }

    static String describe(Claims c) {
        return c.guarantee() + ", " + (c.receipts() ? "receipts" : "no receipts") + ", order "
                + c.order();
    }
}
