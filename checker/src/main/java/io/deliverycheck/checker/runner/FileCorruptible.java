package io.deliverycheck.checker.runner;

import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.List;

/**
 * An {@link Environment} whose nodes keep data files of their own that can be damaged while they are
 * stopped: fault {@code corrupt-file} (as Jepsen's NATS analysis did). Only a replicated system has
 * a minority whose files can be damaged without damaging the only copy.
 */
public interface FileCorruptible {

    /** The nodes with data files of their own. */
    List<String> corruptibleNodes();

    /**
     * Stops {@code node} (SIGKILL), then flips bits in or truncates one of its data files: the one
     * {@code detail.corruption} names (a replay), else one chosen from {@code detail.seed}. The node
     * stays down until {@link #restartCorrupted}.
     *
     * @return the corruption applied, as {@code FileCorruption.Corruption#toJson} writes it
     */
    ObjectNode corruptFiles(String node, ObjectNode detail) throws Exception;

    /** Starts a node stopped by {@link #corruptFiles} again; returns once it serves. Idempotent. */
    void restartCorrupted(String node) throws Exception;
}
