package io.deliverycheck.systems.kafka;

import io.deliverycheck.checker.history.Recorder;

import java.nio.file.Path;

/**
 * A harness that sets up a one-broker Kafka environment, prints the broker's PID and waits to be
 * signalled: {@link KafkaHarnessDeathTest} interrupts or kills it and checks that the broker does
 * not outlive it.
 */
public final class KafkaHarness {

    public static void main(String[] args) throws Exception {
        KafkaEnvironment env = new KafkaEnvironment(KafkaClusterConfig.defaults(1));
        try (Recorder rec = Recorder.open(Path.of(args[0], "history.jsonl"))) {
            env.setup(Path.of(args[0]), rec);
            System.out.println("PIDS " + env.pids().values().stream().map(String::valueOf).reduce((a, b) -> a + " " + b).orElse(""));
            System.out.flush();
            Thread.sleep(Long.MAX_VALUE); // until signalled: that is the point of this program
        }
    }
}
