package io.deliverycheck.systems.mqtt;

import java.time.Duration;
import java.util.Objects;

/**
 * How {@link MosquittoEnvironment} runs its broker. Persistence is always on.
 *
 * @param maxInflightMessages {@code max_inflight_messages}: QoS 1/2 messages in flight per client,
 *     in both directions (Mosquitto 2 also sends it to MQTT 5 clients as the CONNACK's Receive
 *     Maximum, which caps a publisher's window). Mosquitto's default is 20; ours is 64, the
 *     harness's default window. 0 means no maximum.
 * @param maxQueuedMessages {@code max_queued_messages}: messages queued per client beyond those in
 *     flight (an offline persistent session included); Mosquitto's default of 1000 drops the rest
 *     silently, so ours is large. 0 means no maximum.
 * @param autosaveInterval {@code autosave_interval}: seconds between saves of the in-memory
 *     database to disk (Mosquitto's default 1800), or, with {@code autosaveOnChanges}, the number
 *     of changes between saves
 * @param autosaveOnChanges {@code autosave_on_changes} (default false)
 * @param logPackets {@code log_type all}: every packet sent and received is logged (for tests that
 *     check the QoS 2 handshake; slow under load)
 * @param binary the mosquitto executable (a name on the PATH or a path)
 * @param startTimeout how long start-up (and a restart, which reloads the database) may take
 */
public record MosquittoConfig(int maxInflightMessages, int maxQueuedMessages, int autosaveInterval,
                              boolean autosaveOnChanges, boolean logPackets, String binary, Duration startTimeout) {

    public MosquittoConfig {
        if (maxInflightMessages < 0 || maxInflightMessages > 65535) {
            throw new IllegalArgumentException("Mosquitto max_inflight_messages=" + maxInflightMessages + ": expected 0 to 65535");
        }
        if (maxQueuedMessages < 0) {
            throw new IllegalArgumentException("Mosquitto max_queued_messages=" + maxQueuedMessages + ": expected 0 or more");
        }
        if (autosaveInterval < 0) {
            throw new IllegalArgumentException("Mosquitto autosave_interval=" + autosaveInterval + ": expected 0 or more");
        }
        Objects.requireNonNull(binary, "binary");
        Objects.requireNonNull(startTimeout, "startTimeout");
    }

    /** 64 in flight, a million queued, Mosquitto's own autosave (every 1800 s), mosquitto from the PATH. */
    public static MosquittoConfig defaults() {
        return new MosquittoConfig(64, 1_000_000, 1800, false, false, "mosquitto", Duration.ofSeconds(30));
    }

    public MosquittoConfig withMaxInflightMessages(int n) {
        return new MosquittoConfig(n, maxQueuedMessages, autosaveInterval, autosaveOnChanges, logPackets, binary, startTimeout);
    }

    public MosquittoConfig withMaxQueuedMessages(int n) {
        return new MosquittoConfig(maxInflightMessages, n, autosaveInterval, autosaveOnChanges, logPackets, binary, startTimeout);
    }

    /** {@code autosave_interval} and {@code autosave_on_changes} together. */
    public MosquittoConfig withAutosave(int interval, boolean onChanges) {
        return new MosquittoConfig(maxInflightMessages, maxQueuedMessages, interval, onChanges, logPackets, binary, startTimeout);
    }

    public MosquittoConfig withLogPackets(boolean on) {
        return new MosquittoConfig(maxInflightMessages, maxQueuedMessages, autosaveInterval, autosaveOnChanges, on, binary, startTimeout);
    }

    public MosquittoConfig withBinary(String path) {
        return new MosquittoConfig(maxInflightMessages, maxQueuedMessages, autosaveInterval, autosaveOnChanges, logPackets, path, startTimeout);
    }

    public MosquittoConfig withStartTimeout(Duration timeout) {
        return new MosquittoConfig(maxInflightMessages, maxQueuedMessages, autosaveInterval, autosaveOnChanges, logPackets, binary, timeout);
    }
}
