package io.deliverycheck.systems.kafka;

import io.deliverycheck.checker.history.Recorder;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static io.deliverycheck.systems.kafka.KafkaClients.consume;
import static io.deliverycheck.systems.kafka.KafkaClients.send;
import static io.deliverycheck.systems.kafka.KafkaClients.values;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One real broker (default tier, so a change that breaks how brokers start is seen at once): it is
 * formatted on its first start only, keeps its data across a SIGKILL and restart, and close stops it.
 */
class KafkaSingleBrokerTest {

    @Test
    void aRestartedBrokerKeepsItsDataAndCloseStopsIt(@TempDir Path dir) throws Exception {
        KafkaEnvironment env = new KafkaEnvironment(KafkaClusterConfig.defaults(1));
        long pid;
        try (Recorder rec = Recorder.open(dir.resolve("history.jsonl"))) {
            env.setup(dir, rec);
            List<String> sent = new ArrayList<>(values("a", 3));
            try (KafkaProducer<String, String> p = KafkaClients.producer(env)) {
                send(p, "one", sent);
            }
            long first = env.pids().get("n1");
            env.kill("n1");
            env.restart("n1");
            pid = env.pids().get("n1");
            assertNotEquals(first, pid);
            try (KafkaProducer<String, String> p = KafkaClients.producer(env)) {
                send(p, "one", values("b", 2));
                sent.addAll(values("b", 2));
            }
            assertEquals(sent, consume(env, "one", "g", sent.size()), "the writes before the kill survived it");
            String log = Files.readString(dir.resolve("logs/kafka-n1.log"));
            assertTrue(log.contains("] kafka.server.KafkaRaftServer - [KafkaRaftServer nodeId=1] Kafka Server started"),
                    "the broker logs through BrokerLogProvider");
            assertTrue(log.contains("org.apache.kafka.server.logger.LoggingController"), "its log4j calls reach it too");
            assertFalse(log.contains("StatusLogger"), "log4j found its SLF4J binding");
        } finally {
            env.close();
        }
        assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "the broker outlived close");
    }

    @Test
    void log4jIsOnTheBrokersClassPathOnly(@TempDir Path dir) throws Exception {
        assertFalse(System.getProperty("java.class.path").contains("log4j"),
                "log4j on the shared class path would make Vert.x log through it in the nodes and the harness");
        String cp = KafkaEnvironment.brokerLib(dir);
        for (String jar : KafkaEnvironment.BROKER_LIB) {
            assertTrue(cp.contains(dir.resolve(jar).toString()), cp);
            assertTrue(Files.size(dir.resolve(jar)) > 10_000, jar);
        }
    }
}
