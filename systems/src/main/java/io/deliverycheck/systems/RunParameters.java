package io.deliverycheck.systems;

import io.deliverycheck.workloads.WorkloadConfig;
import java.nio.file.Path;

/**
 * What every system needs to know of one run, whatever the system: how many nodes, the workload's
 * settings (kind, rate, roster size, timeouts, seed, requested guarantee) and the environment kind
 * ({@code local}, {@code netns}, ...).
 *
 * @param nodes instances to start
 * @param env the environment kind
 * @param workload the workload's settings, seed included
 * @param hosts the hosts file of the {@code ssh} environment, else null
 */
public record RunParameters(int nodes, String env, WorkloadConfig workload, Path hosts) {

    /** No hosts file: every environment but {@code ssh}. */
    public RunParameters(int nodes, String env, WorkloadConfig workload) {
        this(nodes, env, workload, null);
    }
}
