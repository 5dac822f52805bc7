package io.deliverycheck.systems.bench;

import io.deliverycheck.checker.runner.Environment;
import io.deliverycheck.workloads.Roster;
import io.deliverycheck.workloads.SendPlan;
import java.time.Duration;

/**
 * A system's plain client for {@code bench systems}: the traffic of the harness's workload (the same
 * roster and send plan) through the system's own client library, the plain durable way (acceptance
 * signal awaited with a window of messages in flight, consumption with acks), recording nothing.
 * It uses names of its own (queues, topics, users), so the harness's workload can run after it on
 * the same environment.
 */
@FunctionalInterface
public interface PlainClient {

    /** Runs against the set-up {@code env}: {@code warmup}, then {@code duration} measured. */
    PlainResult run(Environment env, Roster roster, SendPlan plan, Duration warmup, Duration duration) throws Exception;
}
