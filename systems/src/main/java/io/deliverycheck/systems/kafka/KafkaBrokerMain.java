package io.deliverycheck.systems.kafka;

import java.io.IOException;
import java.io.InputStream;

/**
 * The main class of one Kafka broker process: {@code KafkaBrokerMain <server.properties> <cluster id>}.
 * Formats the broker's log directory with the cluster id unless it is formatted already (what
 * {@code kafka-storage.sh format --ignore-formatted} does, so a restart keeps its data), then runs
 * {@code kafka.Kafka}, the class {@code kafka-server-start.sh} runs, with the same file.
 *
 * <p>The broker exits at once when its standard input ends: the harness holds the other end of the
 * pipe, so a harness that died without running its shutdown hooks (SIGKILL) leaves no broker behind.
 */
public final class KafkaBrokerMain {

    private KafkaBrokerMain() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: KafkaBrokerMain <server.properties> <cluster id>");
            System.exit(2);
        }
        exitWhenStdinEnds();
        int rc = kafka.tools.StorageTool.execute(
                new String[]{"format", "--config", args[0], "--cluster-id", args[1], "--ignore-formatted"}, System.out);
        if (rc != 0) {
            System.err.println("kafka storage format of " + args[0] + " failed with code " + rc);
            System.exit(rc);
        }
        kafka.Kafka.main(new String[]{args[0]});
    }

    private static void exitWhenStdinEnds() {
        Thread t = new Thread(() -> {
            try {
                InputStream in = System.in;
                while (in.read() >= 0) {
                    // the harness never writes; anything read is ignored
                }
            } catch (IOException e) {
                // a broken pipe is an end too
            }
            System.out.println("stdin closed: the harness is gone, halting");
            System.out.flush();
            Runtime.getRuntime().halt(3);
        }, "exit-on-stdin-eof");
        t.setDaemon(true);
        t.start();
    }
}
