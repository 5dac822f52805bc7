package io.deliverycheck.environments;

import io.deliverycheck.checker.runner.Environment;
import io.deliverycheck.environments.local.LocalEnvironment;
import io.deliverycheck.environments.netns.NetnsEnvironment;
import io.deliverycheck.environments.netns.NetnsPreflight;
import io.deliverycheck.environments.ssh.HostsFile;
import io.deliverycheck.environments.ssh.SshEnvironment;

import java.nio.file.Path;
import java.util.List;

/**
 * The environments by name, for the command line and the runner: {@code local} (default, no
 * privileges), {@code netns} (root, Linux) and {@code ssh} (real hosts, from a hosts file).
 */
public final class Environments {

    /** Every environment name. */
    public static final List<String> NAMES = List.of("local", "netns", "ssh");

    private Environments() {
    }

    /**
     * A new, not yet set up environment.
     *
     * @throws IllegalArgumentException for an unknown name, naming the known ones
     * @throws IllegalStateException    when {@code netns} cannot run here, saying what to install
     */
    public static Environment create(String name, EnvironmentConfig config) {
        return create(name, config, null);
    }

    /**
     * Like {@link #create(String, EnvironmentConfig)}; {@code hosts} is the hosts file of the
     * {@code ssh} environment (ignored by the others).
     *
     * @throws IllegalArgumentException also for {@code ssh} without a hosts file, or a bad one (one line
     *                                  naming the file and the field)
     */
    public static Environment create(String name, EnvironmentConfig config, Path hosts) {
        return switch (name) {
            case "local" -> new LocalEnvironment(config);
            case "netns" -> {
                String problem = NetnsPreflight.problem();
                if (problem != null) {
                    throw new IllegalStateException(problem);
                }
                yield new NetnsEnvironment(config);
            }
            case "ssh" -> {
                if (hosts == null) {
                    throw new IllegalArgumentException("the ssh environment needs a hosts file (--hosts hosts.json, see docs/real-hosts.md)");
                }
                yield new SshEnvironment(config, HostsFile.read(hosts));
            }
            default -> throw new IllegalArgumentException("unknown environment '" + name + "'; known: " + String.join(", ", NAMES));
        };
    }
}
