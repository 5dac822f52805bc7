package io.deliverycheck.environments;

import io.deliverycheck.checker.runner.Environment;
import io.deliverycheck.environments.local.LocalEnvironment;
import io.deliverycheck.environments.netns.NetnsEnvironment;
import io.deliverycheck.environments.netns.NetnsPreflight;

import java.util.List;

/**
 * The environments by name, for the command line and the runner: {@code local} (default, no
 * privileges) and {@code netns} (root, Linux). A future {@code ssh} environment is one more class and
 * one more case here.
 */
public final class Environments {

    /** Every environment name. */
    public static final List<String> NAMES = List.of("local", "netns");

    private Environments() {
    }

    /**
     * A new, not yet set up environment.
     *
     * @throws IllegalArgumentException for an unknown name, naming the known ones
     * @throws IllegalStateException    when {@code netns} cannot run here, saying what to install
     */
    public static Environment create(String name, EnvironmentConfig config) {
        return switch (name) {
            case "local" -> new LocalEnvironment(config);
            case "netns" -> {
                String problem = NetnsPreflight.problem();
                if (problem != null) {
                    throw new IllegalStateException(problem);
                }
                yield new NetnsEnvironment(config);
            }
            default -> throw new IllegalArgumentException("unknown environment '" + name + "'; known: " + String.join(", ", NAMES));
        };
    }
}
